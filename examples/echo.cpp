// Returns every object unchanged: the smallest useful transform, and the conformance probe.
#include "anvil/etl/etl_server.hpp"

struct EchoServer : anvil::etl::EtlServer {
  void transform(std::string_view input, const anvil::etl::ObjectRef&, std::string& out) override {
    out.append(input);
  }
};

int main(int argc, char** argv) {
  return anvil::etl::run<EchoServer>(argc, argv);
}
