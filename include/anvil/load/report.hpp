#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "anvil/load/options.hpp"
#include "anvil/load/runner.hpp"

namespace anvil::load {

// The human table (wrk-like, with the mode's meaning spelled out) on `out`.
void print_report(std::FILE* out, const LoadOptions& options, const LoadResult& result);

// The machine-readable result; keys are documented in docs/load.md and stable.
nlohmann::json to_json(const LoadOptions& options, const LoadResult& result);

// Writes the per-second histograms in the HdrHistogram interval-log format.
void write_hlog(const std::string& path, const LoadOptions& options, const LoadResult& result);

}  // namespace anvil::load
