// HdrHistogram's compressed histogram encoding (V2) and interval log format (v1.3).
//
// Compressed encoding, all integers big-endian:
//   outer:   u32 cookie 0x1c849314 (base 0x1c849304), u32 length, `length` bytes of zlib stream
//   inflated: u32 cookie 0x1c849313 (base 0x1c849303), u32 payload_length,
//            u32 normalizing_index_offset (0), u32 significant_digits,
//            u64 lowest_discernible, u64 highest_trackable, f64 conversion ratio (1.0),
//            then payload_length bytes: the counts up to the max value's index as ZigZag LEB128
//            varints (at most 9 bytes; the 9th carries 8 bits), a run of n >= 1 zero counts
//            written as -n (a plain 0 count is accepted when decoding).
// Byte-identical to Python `hdrh` (checked by tests/metrics/test_hlog_oracle.py) and, by the
// same rules, HdrHistogram_c; readable by HdrHistogram Java. zlib default compression level.
//
// Interval log ("#[Histogram log format version 1.3]"):
//   #[StartTime: <epoch s> (seconds since epoch), <human date>]
//   #[BaseTime: <epoch s> (seconds since epoch)]                       (optional)
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   [Tag=<tag>,]<start s>,<length s>,<max / unit ratio>,<base64 compressed histogram>
// anvil records microseconds, so the default max unit ratio 1000 logs the max in milliseconds
// (as wrk2 and HdrHistogram's tools expect).
#pragma once

#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/metrics/histogram.hpp"

namespace anvil::metrics {

enum class DecodeError : uint8_t {
  ok = 0,
  bad_base64,          // not canonical padded base64 (RFC 4648 section 4)
  truncated,           // shorter than its headers or its declared lengths
  bad_cookie,          // outer cookie is not a V2 compressed histogram
  length_mismatch,     // outer length disagrees with the bytes present
  bad_deflate,         // the zlib stream is corrupt, or longer than declared
  bad_payload_cookie,  // inflated payload is not a V2 encoding
  bad_parameters,      // lowest/highest/digits a Histogram cannot have
  too_large,           // the layout needs more counters than DecodeLimits allows
  unsupported,         // a non-zero normalizing index offset (shifted Java histograms)
  bad_counts,          // varint overruns, counts past the array, total overflows
};
[[nodiscard]] std::string_view to_string(DecodeError e) noexcept;

struct DecodeLimits {
  // Largest counts array a decoded header may ask for. The default (16 MiB of counters) fits
  // every histogram of up to 5 significant digits spanning 1 .. 3.6e9; hostile headers asking for
  // more are rejected before anything is allocated.
  size_t max_counts_length = size_t{1} << 21;
};

struct DecodeResult {
  DecodeError error = DecodeError::ok;
  std::optional<Histogram> histogram;  // engaged iff error == ok
};

// Encoding. Allocates (edge code, not the hot path).
[[nodiscard]] std::vector<uint8_t> encode_compressed(const Histogram& h);
[[nodiscard]] std::string encode_compressed_base64(const Histogram& h);

// Decoding untrusted input: never reads outside `in`, memory bounded by `in.size()` and
// `limits`, errors as values.
[[nodiscard]] DecodeResult try_decode_compressed(std::span<const uint8_t> in,
                                                 const DecodeLimits& limits = {});
[[nodiscard]] DecodeResult try_decode_compressed_base64(std::string_view in,
                                                        const DecodeLimits& limits = {});
// As above; throws std::runtime_error("histogram decode: <reason>") on malformed input.
[[nodiscard]] Histogram decode_compressed_base64(std::string_view in,
                                                 const DecodeLimits& limits = {});

// Base64 (RFC 4648 section 4, padded). Exposed for the log reader and the tests.
[[nodiscard]] std::string base64_encode(std::span<const uint8_t> bytes);
[[nodiscard]] std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

// Writes an interval log. The sink (ostream or FILE*) must outlive the writer; the writer does
// not flush or close it. Write errors are sticky: ok() turns false.
class HistogramLogWriter {
 public:
  explicit HistogramLogWriter(std::ostream& out, double max_value_unit_ratio = 1000.0);
  explicit HistogramLogWriter(std::FILE* out, double max_value_unit_ratio = 1000.0);

  // Version line, StartTime (seconds since the epoch), optional BaseTime, the CSV legend.
  void write_header(double start_time_epoch_s, std::optional<double> base_time_epoch_s = {});
  // "#<text>"; text must not contain a newline (it is cut at the first one).
  void write_comment(std::string_view text);
  // One interval. start_s is relative to BaseTime if one was written, otherwise relative to
  // StartTime (the reader tells them apart as HdrHistogram does). tag must not contain ',' or
  // whitespace; empty means untagged.
  void write_interval(double start_s, double length_s, const Histogram& h,
                      std::string_view tag = {});
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  void put(std::string_view s);
  std::ostream* stream_ = nullptr;
  std::FILE* file_ = nullptr;
  double max_value_unit_ratio_;
  bool ok_ = true;
};

struct LogInterval {
  std::string tag;     // empty when untagged
  double start_s = 0;  // as written in the log
  double length_s = 0;
  double max = 0;               // as written: max value / max unit ratio
  double absolute_start_s = 0;  // seconds since the epoch (HdrHistogram's BaseTime rules)
  Histogram histogram;
};

// Reads an interval log (any version HdrHistogram writes in text form, 1.2 and 1.3; Java,
// HdrHistogram_c, wrk2, `hdrh`). Comment and legend lines are skipped. The stream must outlive
// the reader. Lines longer than `max_line_bytes` or malformed interval lines throw
// std::runtime_error naming the line number.
class HistogramLogReader {
 public:
  explicit HistogramLogReader(std::istream& in, DecodeLimits limits = {},
                              size_t max_line_bytes = size_t{64} << 20);

  // The next interval, or nullopt at end of input.
  std::optional<LogInterval> next();
  // All remaining intervals merged into one histogram (nullopt if there were none). Intervals
  // must share a bucket layout (std::invalid_argument otherwise).
  std::optional<Histogram> merge_all();

  [[nodiscard]] std::optional<double> start_time_s() const noexcept { return start_time_s_; }
  [[nodiscard]] std::optional<double> base_time_s() const noexcept { return base_time_s_; }
  [[nodiscard]] size_t line_number() const noexcept { return line_number_; }

 private:
  std::istream& in_;
  DecodeLimits limits_;
  size_t max_line_bytes_;
  size_t line_number_ = 0;
  std::optional<double> start_time_s_;
  std::optional<double> base_time_s_;
  std::string line_;
};

}  // namespace anvil::metrics
