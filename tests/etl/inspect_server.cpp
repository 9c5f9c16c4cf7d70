// A transform server for the conformance tests: instead of transforming, it reports what the
// SDK handed to transform(), so tests can check paths, arguments and FQN handling exactly.
// etl_args "fail" makes it throw; "sleep:<ms>" makes it sleep first (for shutdown tests).
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "anvil/etl/etl_server.hpp"

struct InspectServer : anvil::etl::EtlServer {
  void transform(std::string_view input, const anvil::etl::ObjectRef& object,
                 std::string& out) override {
    if (object.etl_args == "fail") throw std::runtime_error("asked to fail");
    if (object.etl_args.starts_with("sleep:")) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::stoi(std::string(object.etl_args.substr(6)))));
    }
    // Latin-1 view of the bytes keeps the JSON valid whatever the input holds.
    std::string input_text;
    for (unsigned char c : input) {
      if (c < 0x80) {
        input_text.push_back(static_cast<char>(c));
      } else {
        input_text.push_back(static_cast<char>(0xc0 | (c >> 6)));
        input_text.push_back(static_cast<char>(0x80 | (c & 0x3f)));
      }
    }
    out = nlohmann::json{{"path", std::string(object.path)},
                         {"raw_path", std::string(object.raw_path)},
                         {"etl_args", std::string(object.etl_args)},
                         {"input_is_path", object.input_is_path},
                         {"input_size", input.size()},
                         {"input", input_text}}
              .dump();
  }
  std::string_view mime_type() const noexcept override { return "application/json"; }
};

int main(int argc, char** argv) {
  return anvil::etl::run<InspectServer>(argc, argv);
}
