#include "anvil/lab/results_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace anvil::lab {
namespace {

// Geometry, in SVG user units (pixels at 100%).
constexpr double kWidth = 1100;
constexpr double kLabelX = 10;
constexpr double kRateLeft = 360, kRateRight = 700;
constexpr double kLatencyLeft = 770, kLatencyRight = 1070;
constexpr double kTop = 92;  // first row's top edge
constexpr double kRowHeight = 24;
constexpr double kBarHeight = 14;

// Colour-blind-safe (Okabe-Ito), one per driver in order of first appearance.
constexpr std::string_view kPalette[] = {"#0072B2", "#E69F00", "#009E73",
                                         "#CC79A7", "#56B4E9", "#D55E00"};
// p50, p95, p99, p99.9: lighter to darker.
constexpr std::string_view kPercentileColour[] = {"#9ecae1", "#4292c6", "#08519c", "#08306b"};
constexpr std::string_view kPercentileName[] = {"p50", "p95", "p99", "p99.9"};

std::string row_label(const ResultRow& r) {
  std::string label = r.target + " \u00b7 " + r.scenario;
  if (!r.params.empty()) label += " \u00b7 " + r.params;
  return label + " \u00b7 " + r.driver;
}

std::string number(double v) {
  return fmt::format("{:.1f}", v);
}

bool measured(const ResultRow& r) {
  return r.status == "ok" && (r.saturation_rps || r.rps_median);
}

double throughput(const ResultRow& r) {
  return r.saturation_rps ? *r.saturation_rps : *r.rps_median;
}

// 1 us, 10 us, 100 us, 1 ms, ...: short enough for a decade apart on the axis.
std::string decade_label(double us) {
  if (us >= 1e6) return fmt::format("{:g} s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:g} ms", us / 1e3);
  return fmt::format("{:g} us", us);
}

struct LogAxis {
  double low_decade = 1, high_decade = 10;
  double position(double us, double left, double right) const {
    const double span = std::log10(high_decade) - std::log10(low_decade);
    return left +
           (std::log10(std::max(us, low_decade)) - std::log10(low_decade)) / span * (right - left);
  }
};

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> linear_ticks(double max) {
  if (!(max > 0) || !std::isfinite(max)) return {0, 1};
  const double raw = max / 4;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-12)) {
      step = m * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  for (int i = 0;; ++i) {
    ticks.push_back(i * step);
    if (i * step >= max * (1 - 1e-12)) break;
  }
  return ticks;
}

std::string results_chart_svg(const std::vector<ResultRow>& rows, std::string_view title) {
  const size_t row_count = std::max<size_t>(rows.size(), 1);
  const double plot_bottom = kTop + static_cast<double>(row_count) * kRowHeight;
  const double height = plot_bottom + 64;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      number(kWidth), number(height));
  svg += fmt::format(
      "<text class=\"title\" x=\"{}\" y=\"22\" font-size=\"16\" "
      "font-weight=\"bold\">{}</text>\n",
      number(kLabelX), xml_escape(title));

  // Driver colours and the legend line.
  std::map<std::string, std::string_view> colour;
  std::vector<std::string> drivers;
  for (const ResultRow& r : rows) {
    if (colour.emplace(r.driver, kPalette[drivers.size() % std::size(kPalette)]).second)
      drivers.push_back(r.driver);
  }
  double legend_x = kLabelX;
  for (const std::string& d : drivers) {
    svg += fmt::format(
        "<rect class=\"legend\" x=\"{}\" y=\"34\" width=\"12\" height=\"12\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"44\">{}</text>\n",
        number(legend_x), colour[d], number(legend_x + 16), xml_escape(d));
    legend_x += 28 + 7.0 * static_cast<double>(d.size());
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"34\" width=\"12\" height=\"12\" fill=\"#888\" fill-opacity=\"0.3\" "
      "stroke=\"#888\" stroke-dasharray=\"3 2\"/><text x=\"{}\" y=\"44\">client-bound: the "
      "driver, not the server, was the limit</text>\n",
      number(legend_x), number(legend_x + 16));

  if (rows.empty()) {
    svg += fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\">no runs match</text>\n",
                       number(kLabelX), number(kTop + 16));
    return svg + "</svg>\n";
  }

  // Throughput axis.
  double rate_max = 0;
  for (const ResultRow& r : rows) {
    if (!measured(r)) continue;
    rate_max = std::max(rate_max, throughput(r));
    if (r.rps_max && !r.saturation_rps) rate_max = std::max(rate_max, *r.rps_max);
  }
  const std::vector<double> ticks = linear_ticks(rate_max);
  const double axis_max = ticks.back();
  auto rate_x = [&](double v) { return kRateLeft + v / axis_max * (kRateRight - kRateLeft); };
  svg += fmt::format(
      "<text class=\"axis-title\" x=\"{}\" y=\"70\" font-weight=\"bold\">"
      "throughput (successful responses/s)</text>\n",
      number(kRateLeft));
  for (const double t : ticks) {
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#555\">{4}"
        "</text>\n",
        number(rate_x(t)), number(kTop - 6), number(plot_bottom), number(kTop - 10), human_rate(t));
  }

  // Latency axis: whole decades around every percentile shown.
  double low = 0, high = 0;
  for (const ResultRow& r : rows) {
    if (r.status != "ok") continue;
    for (const auto& p : {r.p50_us, r.p95_us, r.p99_us, r.p999_us}) {
      if (!p || *p <= 0) continue;
      low = low == 0 ? *p : std::min(low, *p);
      high = std::max(high, *p);
    }
  }
  LogAxis log_axis;
  const bool latency = high > 0;
  if (latency) {
    log_axis.low_decade = std::pow(10, std::floor(std::log10(low)));
    log_axis.high_decade = std::pow(10, std::ceil(std::log10(high)));
    if (log_axis.high_decade <= log_axis.low_decade)
      log_axis.high_decade = log_axis.low_decade * 10;
    svg += fmt::format(
        "<text class=\"axis-title\" x=\"{}\" y=\"70\" font-weight=\"bold\">"
        "latency (log scale)</text>\n",
        number(kLatencyLeft));
    for (int i = 0; i < 4; ++i) {
      const double x = kLatencyLeft + i * 50;
      svg += fmt::format(
          "<circle cx=\"{}\" cy=\"40\" r=\"4\" fill=\"{}\"/>"
          "<text x=\"{}\" y=\"44\">{}</text>\n",
          number(x + 4), kPercentileColour[i], number(x + 11), kPercentileName[i]);
    }
    for (double d = log_axis.low_decade; d <= log_axis.high_decade * 1.0001; d *= 10) {
      const double x = log_axis.position(d, kLatencyLeft, kLatencyRight);
      svg += fmt::format(
          "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/>"
          "<text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#555\">{4}"
          "</text>\n",
          number(x), number(kTop - 6), number(plot_bottom), number(kTop - 10), decade_label(d));
    }
  }

  for (size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    const double top = kTop + static_cast<double>(i) * kRowHeight;
    const double middle = top + kRowHeight / 2;
    svg += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>\n", number(kLabelX),
                       number(middle + 4), xml_escape(row_label(r)));
    if (!measured(r)) {
      svg += fmt::format("<text class=\"status\" x=\"{}\" y=\"{}\" fill=\"#b00\">{}</text>\n",
                         number(kRateLeft + 4), number(middle + 4), xml_escape(r.status));
      continue;
    }
    const double value = throughput(r);
    const std::string_view fill = colour[r.driver];
    const double bar_top = middle - kBarHeight / 2;
    if (r.client_bound) {
      svg += fmt::format(
          "<rect class=\"bar client-bound\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
          "fill=\"{}\" fill-opacity=\"0.3\" stroke=\"{}\" stroke-dasharray=\"3 2\"/>\n",
          number(kRateLeft), number(bar_top), number(rate_x(value) - kRateLeft), number(kBarHeight),
          fill, fill);
    } else {
      svg += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
          number(kRateLeft), number(bar_top), number(rate_x(value) - kRateLeft), number(kBarHeight),
          fill);
    }
    double text_x = rate_x(value);
    if (r.rps_min && r.rps_max && !r.saturation_rps && *r.rps_max > *r.rps_min) {
      const double x1 = rate_x(*r.rps_min), x2 = rate_x(*r.rps_max);
      svg += fmt::format(
          "<path class=\"whisker\" d=\"M{0} {1}H{2}M{0} {3}V{4}M{2} {3}V{4}\" stroke=\"#222\" "
          "fill=\"none\"/>\n",
          number(x1), number(middle), number(x2), number(middle - 4), number(middle + 4));
      text_x = std::max(text_x, x2);
    }
    svg +=
        fmt::format("<text class=\"value\" x=\"{}\" y=\"{}\">{}{}</text>\n", number(text_x + 4),
                    number(middle + 4), human_rate(value), r.saturation_rps ? " (saturation)" : "");
    if (!latency) continue;
    const std::optional<double> percentiles[] = {r.p50_us, r.p95_us, r.p99_us, r.p999_us};
    double first = -1, last = -1;
    std::string markers;
    for (int p = 0; p < 4; ++p) {
      if (!percentiles[p] || *percentiles[p] <= 0) continue;
      const double x = log_axis.position(*percentiles[p], kLatencyLeft, kLatencyRight);
      if (first < 0) first = x;
      last = x;
      markers += fmt::format(
          "<circle class=\"percentile {}\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/>\n",
          p == 3 ? "p999" : kPercentileName[p], number(x), number(middle), kPercentileColour[p]);
    }
    if (first >= 0) {
      svg += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#bbb\"/>\n",
                         number(first), number(last), number(middle));
      svg += markers;
    }
  }

  int trials = 0;
  for (const ResultRow& r : rows)
    trials = std::max(trials, r.trials);
  svg += fmt::format(
      "<text class=\"footnote\" x=\"{}\" y=\"{}\" fill=\"#555\">anvil results --format svg; "
      "medians of up to {} trial{}, whiskers min..max; latency from the merged histograms of "
      "every trial</text>\n",
      number(kLabelX), number(plot_bottom + 36), trials, trials == 1 ? "" : "s");
  return svg + "</svg>\n";
}

}  // namespace anvil::lab
