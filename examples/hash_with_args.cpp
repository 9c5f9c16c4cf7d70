// XXHash64 of every object as 16 lowercase hex digits, seeded per request by etl_args (an
// integer), else by the SEED_DEFAULT environment variable, else 0: AIStore's hash_with_args
// transformer, which shows per-request arguments.
#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "anvil/etl/etl_server.hpp"

namespace {

uint64_t parse_seed(std::string_view text) {
  uint64_t seed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("etl_args must be an unsigned integer seed, got '" +
                                std::string(text) + "'");
  }
  return seed;
}

}  // namespace

struct HashServer : anvil::etl::EtlServer {
  HashServer() {
    const char* env = std::getenv("SEED_DEFAULT");
    default_seed = env != nullptr && *env != '\0' ? parse_seed(env) : 0;
  }
  void transform(std::string_view input, const anvil::etl::ObjectRef& object,
                 std::string& out) override {
    const uint64_t seed = object.etl_args.empty() ? default_seed : parse_seed(object.etl_args);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH64(input.data(), input.size(), seed)));
    out.append(hex, 16);
  }
  std::string_view mime_type() const noexcept override { return "text/plain"; }
  uint64_t default_seed = 0;
};

int main(int argc, char** argv) {
  return anvil::etl::run<HashServer>(argc, argv);
}
