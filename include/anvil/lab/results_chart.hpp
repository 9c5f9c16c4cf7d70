#pragma once

// The results report as a chart: one self-contained SVG (no script, fonts or styles from
// outside) with a throughput panel (median bars, min..max whiskers, client-bound rows set
// apart) and a latency panel (p50/p95/p99/p99.9 on a log axis) for the rows of a suite run.
#include <string>
#include <string_view>
#include <vector>

#include "anvil/lab/results_table.hpp"

namespace anvil::lab {

// Deterministic: the same rows and title give the same bytes.
std::string results_chart_svg(const std::vector<ResultRow>& rows, std::string_view title);

// Axis ticks from 0 to at least `max`, at a 1, 2 or 5 x 10^k step, about four intervals:
// 7.3 -> 0 2 4 6 8. A max of 0 or less gives 0 and 1.
std::vector<double> linear_ticks(double max);

// & < > " ' as character references.
std::string xml_escape(std::string_view text);

}  // namespace anvil::lab
