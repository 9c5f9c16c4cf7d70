#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::core {

// Parses a duration such as "10s", "500ms", "250us", "2m", "1h", "1.5s" or a bare number of
// seconds into nanoseconds. Returns nullopt for anything else, negative values or overflow.
std::optional<int64_t> parse_duration_ns(std::string_view text);

// Parses a finite non-negative decimal number (no units) with from_chars semantics: the whole
// text must be consumed.
std::optional<double> parse_number(std::string_view text);
std::optional<uint64_t> parse_unsigned(std::string_view text);

// Human formatting for reports: "37us", "1.24ms", "2.50s"; "1.2 MiB"; "1,234,567".
std::string format_latency_us(double microseconds);
std::string format_bytes(double bytes);
std::string format_count(uint64_t value);

}  // namespace anvil::core
