// A streaming echo for the streaming tests: the output is the input, read and written in
// pieces. etl_args steer it: "fail-before" throws before any output, "fail-after:<n>" throws
// after writing n bytes, "skip-input" writes "ok" without reading the input, "sleep:<ms>"
// sleeps between pieces (for disconnect and shutdown tests), "path" writes the object path.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "anvil/etl/etl_server.hpp"

struct StreamProbeServer : anvil::etl::EtlServer {
  void transform_stream(anvil::etl::ObjectReader& input, const anvil::etl::ObjectRef& object,
                        anvil::etl::ObjectWriter& output) override {
    const std::string_view args = object.etl_args;
    if (args == "fail-before") throw std::runtime_error("asked to fail before output");
    if (args == "skip-input") {
      output.write("ok");
      return;
    }
    if (args == "path") {
      output.write(object.path);
      return;
    }
    size_t fail_after = std::string::npos;
    if (args.starts_with("fail-after:")) fail_after = std::stoul(std::string(args.substr(11)));
    int sleep_ms = 0;
    if (args.starts_with("sleep:")) sleep_ms = std::stoi(std::string(args.substr(6)));
    char piece[8 * 1024];
    size_t written = 0;
    while (const size_t n = input.read(piece)) {
      const size_t take = std::min(n, fail_after - written);
      output.write(std::string_view(piece, take));
      written += take;
      if (written == fail_after) throw std::runtime_error("asked to fail after output");
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
    if (fail_after != std::string::npos) throw std::runtime_error("asked to fail after output");
  }
};

int main(int argc, char** argv) {
  return anvil::etl::run<StreamProbeServer>(argc, argv);
}
