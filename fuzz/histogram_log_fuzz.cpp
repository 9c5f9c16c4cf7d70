// Fuzzes the histogram decoders with untrusted bytes: the raw compressed encoding, its base64
// form and the interval-log reader. Properties: no crash, no over-read (ASan), bounded memory,
// and anything that decodes re-encodes and decodes to an equal histogram.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "anvil/metrics/histogram_log.hpp"

namespace {

using anvil::metrics::DecodeError;
using anvil::metrics::DecodeLimits;
using anvil::metrics::DecodeResult;

// Small enough that libFuzzer keeps a high exec rate; large enough for the default layout.
constexpr DecodeLimits kLimits{size_t{1} << 16};

void check_round_trip(const DecodeResult& r) {
  if (r.error != DecodeError::ok) return;
  const DecodeResult again = anvil::metrics::try_decode_compressed(
      anvil::metrics::encode_compressed(*r.histogram), kLimits);
  if (again.error != DecodeError::ok || !(*again.histogram == *r.histogram)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_round_trip(anvil::metrics::try_decode_compressed({data, size}, kLimits));
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip(anvil::metrics::try_decode_compressed_base64(text, kLimits));

  std::istringstream in{std::string(text)};
  anvil::metrics::HistogramLogReader reader(in, kLimits, 1 << 20);
  try {
    while (auto interval = reader.next()) {
      if (interval->histogram.count() < 0) std::abort();
    }
  } catch (const std::runtime_error&) {
    // Malformed log lines are reported as exceptions at this edge.
  }
  return 0;
}
