// anvil-hlog-tool: drives anvil::metrics from the outside so an independent implementation
// (Python `hdrh`, tests/metrics/test_hlog_oracle.py) can check what it writes and reads.
//
//   anvil-hlog-tool record --log PATH [--lowest N] [--highest N] [--digits N] [--intervals K]
//                          [--percentiles 50,99.9,...]
//       Reads whitespace-separated integers from stdin, records them into K consecutive interval
//       histograms, writes them as an interval log to PATH and prints JSON for their merge.
//   anvil-hlog-tool decode [--log PATH] [--percentiles ...]
//       Reads an interval log (PATH, or stdin when absent), merges its intervals and prints JSON.
//
// JSON: count, min, max, mean, stddev, saturated, intervals, tags, percentiles {"p": value},
// encoded (base64 of the merged histogram), zlib_version.
#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/metrics/histogram_log.hpp"

namespace {

using anvil::metrics::Histogram;

template <typename T>
T parse_number(std::string_view text, std::string_view what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw std::runtime_error("bad " + std::string(what) + ": '" + std::string(text) + "'");
  }
  return value;
}

struct Options {
  std::string mode;
  std::optional<std::string> log;
  int64_t lowest = 1;
  int64_t highest = 3'600'000'000;
  int digits = 3;
  int intervals = 1;
  std::vector<std::string> percentiles = {"0", "50", "90", "99", "99.9", "99.99", "100"};
};

Options parse_args(int argc, char** argv) {
  if (argc < 2) throw std::runtime_error("usage: anvil-hlog-tool record|decode [options]");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("missing value for " + std::string(flag));
    const std::string_view value = argv[++i];
    if (flag == "--log") {
      o.log = std::string(value);
    } else if (flag == "--lowest") {
      o.lowest = parse_number<int64_t>(value, flag);
    } else if (flag == "--highest") {
      o.highest = parse_number<int64_t>(value, flag);
    } else if (flag == "--digits") {
      o.digits = parse_number<int>(value, flag);
    } else if (flag == "--intervals") {
      o.intervals = parse_number<int>(value, flag);
    } else if (flag == "--percentiles") {
      o.percentiles.clear();
      for (std::string_view rest = value; !rest.empty();) {
        const size_t comma = rest.find(',');
        o.percentiles.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else {
      throw std::runtime_error("unknown option " + std::string(flag));
    }
  }
  if (o.intervals < 1) throw std::runtime_error("--intervals must be >= 1");
  return o;
}

nlohmann::json describe(const Histogram& h, const Options& o, size_t intervals,
                        const std::vector<std::string>& tags) {
  nlohmann::json out;
  out["count"] = h.count();
  out["min"] = h.min();
  out["max"] = h.max();
  out["mean"] = h.mean();
  out["stddev"] = h.stddev();
  out["saturated"] = h.saturated();
  out["intervals"] = intervals;
  out["tags"] = tags;
  out["lowest"] = h.lowest_discernible();
  out["highest"] = h.highest_trackable();
  out["digits"] = h.significant_digits();
  nlohmann::json ps = nlohmann::json::object();
  for (const auto& p : o.percentiles)
    ps[p] = h.value_at_percentile(parse_number<double>(p, "percentile"));
  out["percentiles"] = ps;
  out["encoded"] = anvil::metrics::encode_compressed_base64(h);
  out["zlib_version"] = zlibVersion();
  return out;
}

int record(const Options& o) {
  if (!o.log) throw std::runtime_error("record needs --log PATH");
  const std::string input((std::istreambuf_iterator<char>(std::cin)),
                          std::istreambuf_iterator<char>());
  std::vector<int64_t> values;
  for (size_t pos = 0; pos < input.size();) {
    pos = input.find_first_not_of(" \t\r\n", pos);
    if (pos == std::string::npos) break;
    const size_t end = std::min(input.find_first_of(" \t\r\n", pos), input.size());
    values.push_back(
        parse_number<int64_t>(std::string_view(input).substr(pos, end - pos), "value"));
    pos = end;
  }

  std::ofstream file(*o.log, std::ios::binary);
  if (!file) throw std::runtime_error("cannot write " + *o.log);
  anvil::metrics::HistogramLogWriter writer(file);
  writer.write_header(1'700'000'000.0);
  writer.write_comment("written by anvil-hlog-tool");
  Histogram merged(o.lowest, o.highest, o.digits);
  const size_t per_interval =
      (values.size() + static_cast<size_t>(o.intervals) - 1) / static_cast<size_t>(o.intervals);
  for (int i = 0; i < o.intervals; ++i) {
    Histogram interval(o.lowest, o.highest, o.digits);
    const size_t begin = std::min(values.size(), static_cast<size_t>(i) * per_interval);
    const size_t end = std::min(values.size(), begin + per_interval);
    for (size_t k = begin; k < end; ++k)
      interval.record(values[k]);
    writer.write_interval(static_cast<double>(i), 1.0, interval);
    merged.merge(interval);
  }
  file.flush();
  if (!writer.ok() || !file) throw std::runtime_error("write failed: " + *o.log);
  std::cout << describe(merged, o, static_cast<size_t>(o.intervals), {}).dump() << "\n";
  return 0;
}

int decode(const Options& o) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.log) {
    file.open(*o.log, std::ios::binary);
    if (!file) throw std::runtime_error("cannot read " + *o.log);
    in = &file;
  }
  anvil::metrics::HistogramLogReader reader(*in);
  std::optional<Histogram> merged;
  size_t intervals = 0;
  std::vector<std::string> tags;
  while (auto interval = reader.next()) {
    ++intervals;
    tags.push_back(interval->tag);
    if (!merged) {
      merged = std::move(interval->histogram);
    } else {
      merged->merge(interval->histogram);
    }
  }
  if (!merged) throw std::runtime_error("no intervals in the log");
  std::cout << describe(*merged, o, intervals, tags).dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_args(argc, argv);
    if (o.mode == "record") return record(o);
    if (o.mode == "decode") return decode(o);
    throw std::runtime_error("unknown mode " + o.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anvil-hlog-tool: %s\n", e.what());
    return 2;
  }
}
