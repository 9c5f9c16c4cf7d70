#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "anvil/load/options.hpp"
#include "anvil/load/runner.hpp"

namespace anvil::load {

// Parses "p99<200ms", "p99.9<=1s", "mean<5ms", "errors<1%", "errors<=10", "rps>1000".
// Returns nullopt and sets `error` to a one-line reason for anything else.
std::optional<Threshold> parse_threshold(std::string_view text, std::string& error);

// The measured value for a threshold's metric (latency in microseconds, errors as a fraction
// when given in %, else a count; rps in successful responses per second).
double measured_value(const Threshold& threshold, const LoadResult& result);
bool threshold_holds(const Threshold& threshold, const LoadResult& result);
// The measured value in the threshold's own unit: "433.00ms", "2.10%", "12", "950.3".
std::string format_measured(const Threshold& threshold, double value);

}  // namespace anvil::load
