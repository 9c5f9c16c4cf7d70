#include "anvil/metrics/histogram_log.hpp"

#define ZLIB_CONST
#include <zlib.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <ctime>
#include <istream>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

namespace anvil::metrics {

namespace {

// Cookies carry a word-size lane in bits 4..7; V2 writers put 0x10 there and readers compare
// the base only (HdrHistogram's getCookieBase).
constexpr uint32_t kEncodingCookieBase = 0x1c849303;
constexpr uint32_t kCompressionCookieBase = 0x1c849304;
constexpr uint32_t kCookieLane = 0x10;
constexpr uint32_t cookie_base(uint32_t cookie) {
  return cookie & ~uint32_t{0xf0};
}

constexpr size_t kOuterHeaderBytes = 8;
constexpr size_t kPayloadHeaderBytes = 40;
constexpr size_t kMaxVarintBytes = 9;

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * (3 - i)));
}
uint64_t get_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | p[i];
  return v;
}

// ZigZag then LEB128, except that the 9th byte carries a full 8 bits (HdrHistogram's
// ZigZagEncoding), so a 64-bit value never takes more than 9 bytes.
void put_varint(std::vector<uint8_t>& out, int64_t v) {
  uint64_t zz = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((zz >> 7) == 0) {
      out.push_back(static_cast<uint8_t>(zz));
      return;
    }
    out.push_back(static_cast<uint8_t>((zz & 0x7f) | 0x80));
    zz >>= 7;
  }
  out.push_back(static_cast<uint8_t>(zz));
}

bool get_varint(std::span<const uint8_t> in, size_t& pos, int64_t& v) {
  uint64_t zz = 0;
  for (int i = 0; i < 8; ++i) {
    if (pos >= in.size()) return false;
    const uint8_t b = in[pos++];
    zz |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      v = static_cast<int64_t>((zz >> 1) ^ (~(zz & 1) + 1));
      return true;
    }
  }
  if (pos >= in.size()) return false;
  zz |= static_cast<uint64_t>(in[pos++]) << 56;
  v = static_cast<int64_t>((zz >> 1) ^ (~(zz & 1) + 1));
  return true;
}

class Inflater {
 public:
  explicit Inflater(std::span<const uint8_t> in) {
    zs_.next_in = in.data();
    zs_.avail_in = static_cast<uInt>(in.size());
    ok_ = inflateInit(&zs_) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  [[nodiscard]] bool initialised() const { return ok_; }

  // Fills exactly n bytes. ok, or truncated (stream or input ended early), or bad_deflate.
  DecodeError read(uint8_t* out, size_t n) {
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out > 0) {
      if (ended_) return DecodeError::truncated;
      const int r = inflate(&zs_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        ended_ = true;
      } else if (r == Z_BUF_ERROR) {
        return DecodeError::truncated;  // no progress possible: the input ran out
      } else if (r != Z_OK) {
        return DecodeError::bad_deflate;
      }
    }
    return DecodeError::ok;
  }

  // After the declared bytes: the stream must end here (checksum verified) and use all input.
  DecodeError finish() {
    while (!ended_) {
      uint8_t extra = 0;
      zs_.next_out = &extra;
      zs_.avail_out = 1;
      const int r = inflate(&zs_, Z_NO_FLUSH);
      if (zs_.avail_out == 0) return DecodeError::bad_deflate;  // more data than declared
      if (r == Z_STREAM_END) {
        ended_ = true;
      } else if (r == Z_BUF_ERROR) {
        return DecodeError::truncated;
      } else if (r != Z_OK) {
        return DecodeError::bad_deflate;
      }
    }
    return zs_.avail_in == 0 ? DecodeError::ok : DecodeError::length_mismatch;
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
  bool ended_ = false;
};

DecodeResult fail(DecodeError e) {
  return DecodeResult{e, std::nullopt};
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_base64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  for (size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    t[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr std::array<int8_t, 256> kBase64Table = make_base64_table();

}  // namespace

std::string_view to_string(DecodeError e) noexcept {
  switch (e) {
    case DecodeError::ok:
      return "ok";
    case DecodeError::bad_base64:
      return "invalid base64";
    case DecodeError::truncated:
      return "input truncated";
    case DecodeError::bad_cookie:
      return "not a V2 compressed histogram (bad cookie)";
    case DecodeError::length_mismatch:
      return "declared length does not match the input";
    case DecodeError::bad_deflate:
      return "corrupt zlib stream";
    case DecodeError::bad_payload_cookie:
      return "payload is not a V2 encoding (bad cookie)";
    case DecodeError::bad_parameters:
      return "invalid histogram parameters in header";
    case DecodeError::too_large:
      return "histogram layout exceeds the decode limit";
    case DecodeError::unsupported:
      return "unsupported normalizing index offset";
    case DecodeError::bad_counts:
      return "corrupt counts payload";
  }
  return "unknown error";
}

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= uint32_t{bytes[i + 1]} << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int8_t d = 0;
      if (j < 4 - static_cast<size_t>(pad)) {
        d = kBase64Table[static_cast<uint8_t>(text[i + j])];
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

std::vector<uint8_t> encode_compressed(const Histogram& h) {
  const auto counts = h.counts();
  // Counts past the largest recorded value are all zero and are not written.
  size_t limit = 0;
  for (size_t i = counts.size(); i > 0; --i) {
    if (counts[i - 1] != 0) {
      limit = i;
      break;
    }
  }
  std::vector<uint8_t> raw;
  raw.reserve(kPayloadHeaderBytes + limit * 2);
  put_be(raw, kEncodingCookieBase | kCookieLane, 4);
  put_be(raw, 0, 4);  // payload length, patched below
  put_be(raw, 0, 4);  // normalizing index offset
  put_be(raw, static_cast<uint64_t>(h.significant_digits()), 4);
  put_be(raw, static_cast<uint64_t>(h.lowest_discernible()), 8);
  put_be(raw, static_cast<uint64_t>(h.highest_trackable()), 8);
  put_be(raw, std::bit_cast<uint64_t>(1.0), 8);  // integer-to-double conversion ratio
  for (size_t i = 0; i < limit;) {
    if (counts[i] != 0) {
      put_varint(raw, counts[i++]);
      continue;
    }
    size_t zeros = 0;
    while (i < limit && counts[i] == 0) {
      ++zeros;
      ++i;
    }
    // A lone zero is written as a run of one (-1), as HdrHistogram_c and `hdrh` do; the decoder
    // also accepts a plain 0 count.
    put_varint(raw, -static_cast<int64_t>(zeros));
  }
  store_be32(raw.data() + 4, static_cast<uint32_t>(raw.size() - kPayloadHeaderBytes));

  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> out(kOuterHeaderBytes + compressed_size);
  if (compress2(out.data() + kOuterHeaderBytes, &compressed_size, raw.data(),
                static_cast<uLong>(raw.size()), Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw std::runtime_error("histogram encode: zlib compress2 failed");
  }
  out.resize(kOuterHeaderBytes + compressed_size);
  store_be32(out.data(), kCompressionCookieBase | kCookieLane);
  store_be32(out.data() + 4, static_cast<uint32_t>(compressed_size));
  return out;
}

std::string encode_compressed_base64(const Histogram& h) {
  return base64_encode(encode_compressed(h));
}

DecodeResult try_decode_compressed(std::span<const uint8_t> in, const DecodeLimits& limits) {
  if (in.size() < kOuterHeaderBytes) return fail(DecodeError::truncated);
  if (cookie_base(static_cast<uint32_t>(get_be(in.data(), 4))) != kCompressionCookieBase) {
    return fail(DecodeError::bad_cookie);
  }
  const uint64_t length = get_be(in.data() + 4, 4);
  const size_t available = in.size() - kOuterHeaderBytes;
  if (length > available) return fail(DecodeError::truncated);
  if (length < available) return fail(DecodeError::length_mismatch);

  Inflater inflater(in.subspan(kOuterHeaderBytes));
  if (!inflater.initialised()) return fail(DecodeError::bad_deflate);
  std::array<uint8_t, kPayloadHeaderBytes> header{};
  if (auto e = inflater.read(header.data(), header.size()); e != DecodeError::ok) return fail(e);

  if (cookie_base(static_cast<uint32_t>(get_be(header.data(), 4))) != kEncodingCookieBase) {
    return fail(DecodeError::bad_payload_cookie);
  }
  const uint64_t payload_length = get_be(header.data() + 4, 4);
  const uint64_t normalizing_offset = get_be(header.data() + 8, 4);
  const uint64_t digits = get_be(header.data() + 12, 4);
  const uint64_t lowest = get_be(header.data() + 16, 8);
  const uint64_t highest = get_be(header.data() + 24, 8);
  if (normalizing_offset != 0) return fail(DecodeError::unsupported);
  if (digits > 5 || lowest > static_cast<uint64_t>(INT64_MAX) ||
      highest > static_cast<uint64_t>(INT64_MAX) ||
      !Histogram::valid_parameters(static_cast<int64_t>(lowest), static_cast<int64_t>(highest),
                                   static_cast<int>(digits))) {
    return fail(DecodeError::bad_parameters);
  }
  const size_t counts_length = Histogram::counts_length_for(
      static_cast<int64_t>(lowest), static_cast<int64_t>(highest), static_cast<int>(digits));
  if (counts_length > limits.max_counts_length) return fail(DecodeError::too_large);
  // Each counter takes at most 9 bytes, so a longer payload cannot be valid; checked before
  // allocating so a hostile length costs nothing.
  if (payload_length > counts_length * kMaxVarintBytes) return fail(DecodeError::bad_counts);

  std::vector<uint8_t> payload(payload_length);
  if (auto e = inflater.read(payload.data(), payload.size()); e != DecodeError::ok) return fail(e);
  if (auto e = inflater.finish(); e != DecodeError::ok) return fail(e);

  std::vector<int64_t> counts(counts_length, 0);
  size_t index = 0;
  int64_t total = 0;
  for (size_t pos = 0; pos < payload.size();) {
    int64_t v = 0;
    if (!get_varint(payload, pos, v)) return fail(DecodeError::bad_counts);
    if (v < 0) {
      if (v == INT64_MIN) return fail(DecodeError::bad_counts);
      const auto zeros = static_cast<uint64_t>(-v);
      if (zeros > counts_length - index) return fail(DecodeError::bad_counts);
      index += static_cast<size_t>(zeros);
      continue;
    }
    if (index >= counts_length) return fail(DecodeError::bad_counts);
    counts[index++] = v;
    if (__builtin_add_overflow(total, v, &total)) return fail(DecodeError::bad_counts);
  }

  DecodeResult result;
  result.histogram.emplace(static_cast<int64_t>(lowest), static_cast<int64_t>(highest),
                           static_cast<int>(digits));
  result.histogram->assign_counts(counts);
  return result;
}

DecodeResult try_decode_compressed_base64(std::string_view in, const DecodeLimits& limits) {
  auto bytes = base64_decode(in);
  if (!bytes) return fail(DecodeError::bad_base64);
  return try_decode_compressed(*bytes, limits);
}

Histogram decode_compressed_base64(std::string_view in, const DecodeLimits& limits) {
  DecodeResult r = try_decode_compressed_base64(in, limits);
  if (r.error != DecodeError::ok) {
    throw std::runtime_error("histogram decode: " + std::string(to_string(r.error)));
  }
  return std::move(*r.histogram);
}

// ---------------------------------------------------------------------------------------------
// Interval log writer

HistogramLogWriter::HistogramLogWriter(std::ostream& out, double max_value_unit_ratio)
    : stream_(&out), max_value_unit_ratio_(max_value_unit_ratio) {}

HistogramLogWriter::HistogramLogWriter(std::FILE* out, double max_value_unit_ratio)
    : file_(out), max_value_unit_ratio_(max_value_unit_ratio) {}

void HistogramLogWriter::put(std::string_view s) {
  if (!ok_) return;
  if (stream_ != nullptr) {
    stream_->write(s.data(), static_cast<std::streamsize>(s.size()));
    ok_ = stream_->good();
  } else {
    ok_ = std::fwrite(s.data(), 1, s.size(), file_) == s.size();
  }
}

void HistogramLogWriter::write_header(double start_time_epoch_s,
                                      std::optional<double> base_time_epoch_s) {
  put("#[Histogram log format version 1.3]\n");
  // The human-readable date mirrors Java's Date.toString(), in UTC.
  const auto seconds = static_cast<std::time_t>(start_time_epoch_s);
  std::tm tm{};
  char date[64] = "unknown date";
  if (gmtime_r(&seconds, &tm) != nullptr) {
    std::strftime(date, sizeof date, "%a %b %d %H:%M:%S UTC %Y", &tm);
  }
  put(fmt::format("#[StartTime: {:.3f} (seconds since epoch), {}]\n", start_time_epoch_s, date));
  if (base_time_epoch_s) {
    put(fmt::format("#[BaseTime: {:.3f} (seconds since epoch)]\n", *base_time_epoch_s));
  }
  put("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_"
      "Histogram\"\n");
}

void HistogramLogWriter::write_comment(std::string_view text) {
  put(fmt::format("#{}\n", text.substr(0, text.find('\n'))));
}

void HistogramLogWriter::write_interval(double start_s, double length_s, const Histogram& h,
                                        std::string_view tag) {
  std::string line;
  if (!tag.empty()) line = fmt::format("Tag={},", tag);
  line += fmt::format("{:.3f},{:.3f},{:.3f},{}\n", start_s, length_s,
                      static_cast<double>(h.max()) / max_value_unit_ratio_,
                      encode_compressed_base64(h));
  put(line);
}

// ---------------------------------------------------------------------------------------------
// Interval log reader

namespace {

bool parse_double(std::string_view s, double& out) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// "#[StartTime: 1441812123.000 (seconds since epoch), ..." -> 1441812123.0
std::optional<double> header_time(std::string_view line, std::string_view prefix) {
  if (!line.starts_with(prefix)) return std::nullopt;
  line.remove_prefix(prefix.size());
  while (!line.empty() && line.front() == ' ')
    line.remove_prefix(1);
  double v = 0;
  if (!parse_double(line.substr(0, line.find(' ')), v)) return std::nullopt;
  return v;
}

}  // namespace

HistogramLogReader::HistogramLogReader(std::istream& in, DecodeLimits limits, size_t max_line_bytes)
    : in_(in), limits_(limits), max_line_bytes_(max_line_bytes) {}

std::optional<LogInterval> HistogramLogReader::next() {
  auto error = [&](std::string_view what) {
    return std::runtime_error(fmt::format("histogram log line {}: {}", line_number_, what));
  };
  std::streambuf* buf = in_.rdbuf();
  while (true) {
    line_.clear();
    bool eof = true;
    for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
      eof = false;
      if (c == '\n') break;
      if (line_.size() >= max_line_bytes_) throw error("line too long");
      line_.push_back(static_cast<char>(c));
    }
    if (eof) return std::nullopt;
    ++line_number_;
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '"') continue;  // blank or the CSV legend
    if (line.front() == '#') {
      if (auto t = header_time(line, "#[StartTime:")) start_time_s_ = t;
      if (auto t = header_time(line, "#[BaseTime:")) base_time_s_ = t;
      continue;
    }

    std::string tag;
    if (line.starts_with("Tag=")) {
      const size_t comma = line.find(',');
      if (comma == std::string_view::npos) throw error("tag without fields");
      tag = std::string(line.substr(4, comma - 4));
      line.remove_prefix(comma + 1);
    }
    std::array<std::string_view, 3> fields;
    for (auto& f : fields) {
      const size_t comma = line.find(',');
      if (comma == std::string_view::npos) throw error("expected 4 comma-separated fields");
      f = line.substr(0, comma);
      line.remove_prefix(comma + 1);
    }
    double start_s = 0;
    double length_s = 0;
    double max = 0;
    if (!parse_double(fields[0], start_s) || !parse_double(fields[1], length_s) ||
        !parse_double(fields[2], max)) {
      throw error("bad number in timestamp, length or max");
    }
    while (!line.empty() && line.back() == ' ')
      line.remove_suffix(1);
    DecodeResult decoded = try_decode_compressed_base64(line, limits_);
    if (decoded.error != DecodeError::ok) throw error(to_string(decoded.error));

    // HdrHistogram's rules: without a StartTime the first interval defines it; without a
    // BaseTime, timestamps more than a year before StartTime are taken as relative to it.
    if (!start_time_s_) start_time_s_ = start_s;
    if (!base_time_s_) {
      constexpr double kYear = 365.0 * 24 * 3600;
      base_time_s_ = start_s < *start_time_s_ - kYear ? *start_time_s_ : 0.0;
    }
    return LogInterval{std::move(tag),
                       start_s,
                       length_s,
                       max,
                       start_s + *base_time_s_,
                       std::move(*decoded.histogram)};
  }
}

std::optional<Histogram> HistogramLogReader::merge_all() {
  std::optional<Histogram> merged;
  while (auto interval = next()) {
    if (!merged) {
      merged = std::move(interval->histogram);
    } else {
      merged->merge(interval->histogram);
    }
  }
  return merged;
}

}  // namespace anvil::metrics
