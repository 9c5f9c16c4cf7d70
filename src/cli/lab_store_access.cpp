#include "lab_store_access.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "usage_error.hpp"

namespace anvil::cli {
namespace {

std::optional<int64_t> parse_nonnegative(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::unique_ptr<lab::ResultStore> open_existing_store(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw UsageError("results store '" + path +
                     "' does not exist (run `anvil run` first, or "
                     "give --db)");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw UsageError("results store '" + path + "' is not a file");
  }
  return std::make_unique<lab::ResultStore>(path);
}

lab::SuiteRunRow resolve_suite_run(const lab::ResultStore& store, const std::string& db_path,
                                   const std::string& reference, const std::string& suite) {
  const std::string of_suite = suite.empty() ? "" : " of suite '" + suite + "'";
  std::optional<int64_t> back;
  if (reference == "latest") {
    back = 0;
  } else if (reference.starts_with("latest~")) {
    back = parse_nonnegative(std::string_view(reference).substr(7));
    if (!back) {
      throw UsageError("bad suite run '" + reference + "': expected ID, latest or latest~N");
    }
  }
  if (back) {
    int64_t seen = 0;
    for (lab::SuiteRunRow& row : store.suite_runs()) {
      if (!suite.empty() && row.suite_name != suite) continue;
      if (seen++ == *back) return std::move(row);
    }
    throw UsageError("no suite run '" + reference + "'" + of_suite + " in " + db_path);
  }
  const std::optional<int64_t> id = parse_nonnegative(reference);
  if (!id) throw UsageError("bad suite run '" + reference + "': expected ID, latest or latest~N");
  std::optional<lab::SuiteRunRow> row = store.suite_run(*id);
  if (!row) throw UsageError("no suite run " + reference + " in " + db_path);
  if (!suite.empty() && row->suite_name != suite) {
    throw UsageError("suite run " + reference + " is of suite '" + row->suite_name + "', not '" +
                     suite + "'");
  }
  return *row;
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
  out << text;
  out.close();
  if (!out) throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
}

std::string format_unix_ms(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return buffer;
}

}  // namespace anvil::cli
