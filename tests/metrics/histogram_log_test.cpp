#include "anvil/metrics/histogram_log.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace anvil::metrics {
namespace {

std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

// ---------------------------------------------------------------------------------------------
// Base64: RFC 4648 section 10 test vectors.

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes_of(plain));
  }
}

TEST(Base64, RejectsMalformedText) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg=", "Zm 9", "Zm9\n"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding fixtures and round trips.

// Made by Python hdrh 0.10.8: h = HdrHistogram(1, 3600000000, 3); record 0, 1, 2, 3, 1000,
// 2047, 2048, 3000, 1000000, 3599999999; h.encode(). Same zlib (1.2.13), same default level.
constexpr const char* kHdrhFixture =
    "HISTFAAAADV4nJNpmSzMwMAgxgABzFCaEURcm7yEwf4DRIAJCI7zM60WYGLays7U3s7ItHgPIxMA6OIJbQ==";

Histogram fixture_histogram() {
  Histogram h(1, 3'600'000'000, 3);
  for (int64_t v : {0L, 1L, 2L, 3L, 1000L, 2047L, 2048L, 3000L, 1'000'000L, 3'599'999'999L}) {
    h.record(v);
  }
  return h;
}

TEST(HistogramCodec, DecodesHdrhFixture) {
  const Histogram h = decode_compressed_base64(kHdrhFixture);
  EXPECT_EQ(h.count(), 10);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), h.highest_equivalent(3'599'999'999));
  EXPECT_EQ(h.value_at_percentile(50), 1000);
  EXPECT_TRUE(h == fixture_histogram());
}

TEST(HistogramCodec, EncodesTheSameBytesAsHdrh) {
  EXPECT_EQ(encode_compressed_base64(fixture_histogram()), kHdrhFixture);
  // hdrh: record 1, 3, 5, 5: the lone zero counts at 2 and 4 are written as runs of one (-1).
  Histogram lone_zeros;
  for (int64_t v : {1, 3, 5, 5})
    lone_zeros.record(v);
  EXPECT_EQ(encode_compressed_base64(lone_zeros),
            "HISTFAAAACN4nJNpmSzMwMDAxgABzFCaEURcm7yEwf4DVIAJCFkAbQ4EmA==");
}

Histogram random_histogram(int64_t lowest, int64_t highest, int digits, size_t n, uint64_t seed) {
  Histogram h(lowest, highest, digits);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(0.0, std::log(static_cast<double>(highest)));
  for (size_t i = 0; i < n; ++i)
    h.record(static_cast<int64_t>(std::exp(d(rng))));
  return h;
}

TEST(HistogramCodec, RoundTripsEveryShape) {
  std::vector<Histogram> cases;
  cases.emplace_back();  // empty
  Histogram zeros;
  zeros.record_n(0, 1000);
  cases.push_back(zeros);
  Histogram single;
  single.record(123'456);
  cases.push_back(single);
  Histogram huge_count;
  huge_count.record_n(77, int64_t{1} << 62);  // 9-byte varint
  cases.push_back(huge_count);
  for (int digits = 1; digits <= 5; ++digits) {
    cases.push_back(
        random_histogram(1, 3'600'000'000, digits, 5000, static_cast<uint64_t>(digits)));
  }
  cases.push_back(random_histogram(1000, 3'600'000'000, 3, 5000, 11));
  cases.push_back(random_histogram(1, INT64_MAX, 3, 5000, 12));
  Histogram top(1, INT64_MAX, 2);
  top.record(INT64_MAX);
  cases.push_back(top);

  for (const Histogram& h : cases) {
    const std::string text = encode_compressed_base64(h);
    ASSERT_TRUE(text.starts_with("HISTF")) << text;  // cookie 0x1c849314
    const DecodeResult r = try_decode_compressed_base64(text);
    ASSERT_EQ(r.error, DecodeError::ok) << to_string(r.error);
    EXPECT_TRUE(*r.histogram == h) << "digits " << h.significant_digits() << " count " << h.count();
    EXPECT_EQ(r.histogram->max(), h.max());
    EXPECT_EQ(r.histogram->min(), h.min());
    EXPECT_EQ(r.histogram->value_at_percentile(99.9), h.value_at_percentile(99.9));
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile input. Payloads are built here with an independent encoder so each field can be set.

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_zigzag(std::vector<uint8_t>& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  for (int i = 0; i < 8 && z >= 0x80; ++i) {
    out.push_back(static_cast<uint8_t>(z | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<uint8_t>(z));
}

struct RawPayload {
  uint32_t cookie = 0x1c849313;
  std::optional<uint32_t> payload_length;  // default: the real length
  uint32_t normalizing_offset = 0;
  uint32_t digits = 3;
  uint64_t lowest = 1;
  uint64_t highest = 3'600'000'000;
  std::vector<int64_t> counts;  // written verbatim as zigzag varints
  std::vector<uint8_t> extra;   // raw bytes appended after the varints
};

std::vector<uint8_t> inflated(const RawPayload& p) {
  std::vector<uint8_t> body;
  for (int64_t c : p.counts)
    put_zigzag(body, c);
  body.insert(body.end(), p.extra.begin(), p.extra.end());
  std::vector<uint8_t> raw;
  put_be(raw, p.cookie, 4);
  put_be(raw, p.payload_length.value_or(static_cast<uint32_t>(body.size())), 4);
  put_be(raw, p.normalizing_offset, 4);
  put_be(raw, p.digits, 4);
  put_be(raw, p.lowest, 8);
  put_be(raw, p.highest, 8);
  double ratio = 1.0;
  uint64_t ratio_bits = 0;
  std::memcpy(&ratio_bits, &ratio, 8);
  put_be(raw, ratio_bits, 8);
  raw.insert(raw.end(), body.begin(), body.end());
  return raw;
}

std::vector<uint8_t> wrap(const std::vector<uint8_t>& raw, uint32_t cookie = 0x1c849314) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(size);
  EXPECT_EQ(compress(z.data(), &size, raw.data(), static_cast<uLong>(raw.size())), Z_OK);
  z.resize(size);
  std::vector<uint8_t> out;
  put_be(out, cookie, 4);
  put_be(out, z.size(), 4);
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

DecodeError decode_error(const std::vector<uint8_t>& bytes, DecodeLimits limits = {}) {
  return try_decode_compressed(bytes, limits).error;
}

TEST(HistogramCodec, HandBuiltPayloadDecodes) {
  RawPayload p;
  p.counts = {0, 3, -4, 2};  // index 1: 3, indexes 2..5 zero, index 6: 2
  const DecodeResult r = try_decode_compressed(wrap(inflated(p)));
  ASSERT_EQ(r.error, DecodeError::ok) << to_string(r.error);
  EXPECT_EQ(r.histogram->count(), 5);
  EXPECT_EQ(r.histogram->min(), 1);
  EXPECT_EQ(r.histogram->max(), 6);
  EXPECT_EQ(r.histogram->value_at_percentile(60), 1);
  EXPECT_EQ(r.histogram->value_at_percentile(61), 6);
}

struct HostileCase {
  const char* name;
  RawPayload payload;
  DecodeError expected;
};

RawPayload with(void (*edit)(RawPayload&)) {
  RawPayload p;
  p.counts = {5, 1};
  edit(p);
  return p;
}

TEST(HistogramCodec, RejectsHostileHeadersAndPayloads) {
  const HostileCase cases[] = {
      {"payload_cookie", with([](RawPayload& p) { p.cookie = 0x12345678; }),
       DecodeError::bad_payload_cookie},
      {"v1_payload_cookie", with([](RawPayload& p) { p.cookie = 0x1c849301; }),
       DecodeError::bad_payload_cookie},
      {"digits_zero", with([](RawPayload& p) { p.digits = 0; }), DecodeError::bad_parameters},
      {"digits_six", with([](RawPayload& p) { p.digits = 6; }), DecodeError::bad_parameters},
      {"digits_huge", with([](RawPayload& p) { p.digits = 0xffffffff; }),
       DecodeError::bad_parameters},
      {"lowest_zero", with([](RawPayload& p) { p.lowest = 0; }), DecodeError::bad_parameters},
      {"lowest_negative", with([](RawPayload& p) { p.lowest = uint64_t{1} << 63; }),
       DecodeError::bad_parameters},
      {"highest_below_2x_lowest", with([](RawPayload& p) { p.lowest = 1000, p.highest = 1999; }),
       DecodeError::bad_parameters},
      {"highest_negative", with([](RawPayload& p) { p.highest = ~uint64_t{0}; }),
       DecodeError::bad_parameters},
      {"layout_too_large",
       with([](RawPayload& p) { p.digits = 5, p.highest = uint64_t{INT64_MAX}; }),
       DecodeError::too_large},
      {"normalizing_offset", with([](RawPayload& p) { p.normalizing_offset = 3; }),
       DecodeError::unsupported},
      {"payload_length_absurd", with([](RawPayload& p) { p.payload_length = 0xffffffff; }),
       DecodeError::bad_counts},
      {"payload_length_short", with([](RawPayload& p) { p.payload_length = 1; }),
       DecodeError::bad_deflate},
      {"payload_length_long", with([](RawPayload& p) { p.payload_length = 50; }),
       DecodeError::truncated},
      {"count_overflow", with([](RawPayload& p) {
         p.counts = {INT64_MAX, INT64_MAX};
       }),
       DecodeError::bad_counts},
      {"zero_run_past_end", with([](RawPayload& p) {
         p.counts = {1, -30000};
       }),
       DecodeError::bad_counts},
      {"zero_run_int64_min", with([](RawPayload& p) { p.counts = {INT64_MIN}; }),
       DecodeError::bad_counts},
      {"count_past_end", with([](RawPayload& p) {
         p.counts = {-23552, 1};
       }),
       DecodeError::bad_counts},
      {"truncated_varint", with([](RawPayload& p) {
         p.extra = {0x80, 0x80};
       }),
       DecodeError::bad_counts},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_error(wrap(inflated(c.payload))), c.expected) << c.name;
  }
  // A zero run that ends exactly at the last counter is fine.
  RawPayload edge;
  edge.counts = {-23551, 4};
  const auto r = try_decode_compressed(wrap(inflated(edge)));
  ASSERT_EQ(r.error, DecodeError::ok);
  EXPECT_EQ(r.histogram->max(),
            r.histogram->highest_equivalent(r.histogram->value_from_index(23551)));
}

TEST(HistogramCodec, DecodeLimitIsConfigurable) {
  const auto bytes = encode_compressed(Histogram(1, 3'600'000'000, 3));
  EXPECT_EQ(decode_error(bytes, DecodeLimits{1000}), DecodeError::too_large);
  EXPECT_EQ(decode_error(bytes, DecodeLimits{23552}), DecodeError::ok);
}

TEST(HistogramCodec, RejectsBadOuterFraming) {
  const std::vector<uint8_t> good = encode_compressed(fixture_histogram());
  ASSERT_EQ(decode_error(good), DecodeError::ok);

  auto wrong_cookie = good;
  wrong_cookie[3] ^= 0x01;
  EXPECT_EQ(decode_error(wrong_cookie), DecodeError::bad_cookie);
  auto v1_cookie = good;
  v1_cookie[3] = 0x02;  // 0x1c849302: V1 compressed, not supported
  EXPECT_EQ(decode_error(v1_cookie), DecodeError::bad_cookie);

  auto long_length = good;
  long_length[7] += 1;
  EXPECT_EQ(decode_error(long_length), DecodeError::truncated);
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_error(trailing), DecodeError::length_mismatch);

  // A valid zlib stream followed by junk inside the declared length.
  auto junk_inside = wrap(inflated(RawPayload{}));
  junk_inside.push_back(0x42);
  junk_inside[7] += 1;
  EXPECT_EQ(decode_error(junk_inside), DecodeError::length_mismatch);

  auto corrupt = good;
  corrupt[8] = 0x00;  // zlib header CMF
  EXPECT_EQ(decode_error(corrupt), DecodeError::bad_deflate);
  auto bad_checksum = good;
  bad_checksum.back() ^= 0xff;  // adler32
  EXPECT_EQ(decode_error(bad_checksum), DecodeError::bad_deflate);
}

TEST(HistogramCodec, EveryTruncationIsAnErrorNeverACrash) {
  const std::vector<uint8_t> good =
      encode_compressed(random_histogram(1, 3'600'000'000, 3, 2000, 5));
  for (size_t n = 0; n < good.size(); ++n) {
    // An exact-size copy so the sanitizer build catches any over-read.
    const std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(decode_error(prefix), DecodeError::ok) << n;
  }
}

TEST(HistogramCodec, SingleByteCorruptionIsAlmostAlwaysDetected) {
  const Histogram h = random_histogram(1, 3'600'000'000, 3, 2000, 6);
  const std::vector<uint8_t> good = encode_compressed(h);
  size_t flips = 0;
  size_t undetected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      auto bad = good;
      bad[i] ^= flip;
      ++flips;
      const DecodeResult r = try_decode_compressed(bad);
      if (r.error != DecodeError::ok) continue;
      // Adler-32 cannot catch every change (with this seed one flip in the deflate data moves
      // counts around with an unchanged checksum), and the cookie lane nibble is ignored by
      // design. Whatever decodes must still be a consistent histogram.
      if (!(*r.histogram == h)) ++undetected;
      int64_t sum = 0;
      for (int64_t c : r.histogram->counts())
        sum += c;
      EXPECT_EQ(sum, r.histogram->count()) << "byte " << i;
      const DecodeResult again = try_decode_compressed(encode_compressed(*r.histogram));
      ASSERT_EQ(again.error, DecodeError::ok);
      EXPECT_TRUE(*again.histogram == *r.histogram) << "byte " << i;
    }
  }
  EXPECT_LT(undetected * 100, flips) << undetected << " of " << flips << " flips undetected";
}

TEST(HistogramCodec, ThrowingDecoderNamesTheReason) {
  try {
    (void)decode_compressed_base64("not base64!");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "histogram decode: invalid base64");
  }
  EXPECT_THROW((void)decode_compressed_base64("AAAAAAAAAAA="), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Interval log.

TEST(HistogramLog, WritesTheHdrHistogramV13Layout) {
  std::ostringstream out;
  HistogramLogWriter writer(out);
  writer.write_header(1441812123.0);
  writer.write_interval(0.127, 1.007, fixture_histogram());
  ASSERT_TRUE(writer.ok());
  const std::string expected =
      "#[Histogram log format version 1.3]\n"
      "#[StartTime: 1441812123.000 (seconds since epoch), Wed Sep 09 15:22:03 UTC 2015]\n"
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
      "0.127,1.007,3600809.983," +
      std::string(kHdrhFixture) + "\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(HistogramLog, RoundTripsIntervalsTagsAndTimes) {
  std::vector<Histogram> intervals;
  for (uint64_t i = 0; i < 4; ++i) {
    intervals.push_back(random_histogram(1, 3'600'000'000, 3, 1000 * (i + 1), 40 + i));
  }
  intervals.emplace_back();  // an empty interval is legal
  std::ostringstream out;
  HistogramLogWriter writer(out, 1000.0);
  writer.write_header(1'700'000'000.0);
  writer.write_comment("anvil test\nsecond line dropped");
  for (size_t i = 0; i < intervals.size(); ++i) {
    writer.write_interval(static_cast<double>(i), 1.0, intervals[i], i == 2 ? "slow" : "");
  }
  ASSERT_TRUE(writer.ok());
  EXPECT_NE(out.str().find("#anvil test\n"), std::string::npos);
  EXPECT_EQ(out.str().find("second line"), std::string::npos);

  std::istringstream in(out.str());
  HistogramLogReader reader(in);
  for (size_t i = 0; i < intervals.size(); ++i) {
    auto interval = reader.next();
    ASSERT_TRUE(interval.has_value()) << i;
    EXPECT_TRUE(interval->histogram == intervals[i]) << i;
    EXPECT_EQ(interval->tag, i == 2 ? "slow" : "");
    EXPECT_DOUBLE_EQ(interval->start_s, static_cast<double>(i));
    EXPECT_DOUBLE_EQ(interval->length_s, 1.0);
    EXPECT_NEAR(interval->max, static_cast<double>(intervals[i].max()) / 1000.0, 0.0005);
    // Relative timestamps: absolute = StartTime + start.
    EXPECT_DOUBLE_EQ(interval->absolute_start_s, 1'700'000'000.0 + static_cast<double>(i));
  }
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(reader.start_time_s(), 1'700'000'000.0);

  std::istringstream again(out.str());
  HistogramLogReader merger(again);
  auto merged = merger.merge_all();
  ASSERT_TRUE(merged.has_value());
  Histogram expected = intervals[0];
  for (size_t i = 1; i < intervals.size(); ++i)
    expected.merge(intervals[i]);
  EXPECT_TRUE(*merged == expected);
}

TEST(HistogramLog, BaseTimeAndAbsoluteTimestamps) {
  std::ostringstream out;
  HistogramLogWriter writer(out);
  writer.write_header(1'700'000'010.0, 1'700'000'000.0);
  writer.write_interval(12.5, 1.0, fixture_histogram());
  std::istringstream in(out.str());
  HistogramLogReader reader(in);
  auto interval = reader.next();
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(reader.base_time_s(), 1'700'000'000.0);
  EXPECT_DOUBLE_EQ(interval->absolute_start_s, 1'700'000'012.5);

  // No BaseTime and timestamps already absolute: taken as they are.
  std::istringstream absolute(
      "#[StartTime: 1700000000.000 (seconds since epoch), x]\n"
      "1700000003.000,1.000,3601.861," +
      std::string(kHdrhFixture) + "\n");
  HistogramLogReader absolute_reader(absolute);
  auto a = absolute_reader.next();
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ(a->absolute_start_s, 1'700'000'003.0);
}

TEST(HistogramLog, ReadsForeignLayoutsCrlfAndPythonStyleNumbers) {
  // The layout Python hdrh's HistogramLogWriter produces (version 1.2, "%f" numbers), CRLF.
  const std::string log =
      "#[Histogram log format version 1.2]\r\n"
      "#[BaseTime: 0.000 (seconds since epoch)]\r\n"
      "\r\n"
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_"
      "Histogram\"\r\n"
      "Tag=A,1.000000,2.500000,3601.000000," +
      std::string(kHdrhFixture) + "\r\n";
  std::istringstream in(log);
  HistogramLogReader reader(in);
  auto interval = reader.next();
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(interval->tag, "A");
  EXPECT_DOUBLE_EQ(interval->length_s, 2.5);
  EXPECT_TRUE(interval->histogram == fixture_histogram());
  EXPECT_FALSE(reader.next().has_value());
}

TEST(HistogramLog, MalformedLinesThrowWithTheLineNumber) {
  const std::string fixture(kHdrhFixture);
  const std::pair<std::string, std::string> cases[] = {
      {"0.0,1.0," + fixture + "\n", "line 1: expected 4 comma-separated fields"},
      {"#c\nx,1.0,2.0," + fixture + "\n", "line 2: bad number"},
      {"0.0,1.0,2.0,HISTFAAA!!!!\n", "line 1: invalid base64"},
      {"0.0,1.0,2.0,AAAAAAAAAAA=\n", "line 1: not a V2 compressed histogram"},
      {"Tag=only\n", "line 1: tag without fields"},
  };
  for (const auto& [text, message] : cases) {
    std::istringstream in(text);
    HistogramLogReader reader(in);
    try {
      (void)reader.next();
      ADD_FAILURE() << "no error for: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  std::istringstream long_line(std::string(100, '1'));
  HistogramLogReader bounded(long_line, {}, 64);
  EXPECT_THROW((void)bounded.next(), std::runtime_error);
}

TEST(HistogramLog, FileWriterMatchesStreamWriter) {
  std::ostringstream expected;
  HistogramLogWriter stream_writer(expected);
  stream_writer.write_header(1'600'000'000.0);
  stream_writer.write_interval(0.0, 10.0, fixture_histogram(), "t");

  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  HistogramLogWriter file_writer(f);
  file_writer.write_header(1'600'000'000.0);
  file_writer.write_interval(0.0, 10.0, fixture_histogram(), "t");
  EXPECT_TRUE(file_writer.ok());
  std::fflush(f);
  std::rewind(f);
  std::string got;
  char buf[512];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    got.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(got, expected.str());
}

}  // namespace
}  // namespace anvil::metrics
