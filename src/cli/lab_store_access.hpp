#pragma once

// Shared by `anvil results` and `anvil compare`: opening an existing results store (never
// creating one by mistake), choosing suite runs, and writing a report to stdout or a file.
#include <memory>
#include <string>

#include "anvil/lab/store.hpp"

namespace anvil::cli {

// Throws UsageError when `path` does not exist or is not a regular file.
std::unique_ptr<lab::ResultStore> open_existing_store(const std::string& path);

// "ID", "latest" or "latest~N" (N runs before the latest), of `suite` when not empty.
// Throws UsageError naming the reference when there is no such suite run.
lab::SuiteRunRow resolve_suite_run(const lab::ResultStore& store, const std::string& db_path,
                                   const std::string& reference, const std::string& suite);

// Writes to stdout when `path` is empty; throws UsageError when the file cannot be written.
void write_output(const std::string& path, const std::string& text);

std::string format_unix_ms(int64_t unix_ms);

}  // namespace anvil::cli
