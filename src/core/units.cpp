#include "anvil/core/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace anvil::core {

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_duration_ns(std::string_view text) {
  struct Suffix {
    std::string_view name;
    double ns;
  };
  // Longest suffixes first so "ms" is not read as "m" + "s".
  static constexpr Suffix kSuffixes[] = {{"us", 1e3}, {"ms", 1e6}, {"ns", 1.0},
                                         {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
  double scale = 1e9;
  for (const auto& suffix : kSuffixes) {
    if (text.size() > suffix.name.size() && text.ends_with(suffix.name)) {
      text.remove_suffix(suffix.name.size());
      scale = suffix.ns;
      break;
    }
  }
  auto number = parse_number(text);
  if (!number) return std::nullopt;
  const double ns = *number * scale;
  if (ns > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(ns));
}

std::string format_latency_us(double us) {
  char buffer[32];
  if (us < 1000) {
    std::snprintf(buffer, sizeof buffer, "%.0fus", us);
  } else if (us < 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2fms", us / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2fs", us / 1e6);
  }
  return buffer;
}

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.2f %s", bytes, kUnits[unit]);
  return buffer;
}

std::string format_count(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace anvil::core
