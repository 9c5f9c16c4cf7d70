// Must not compile: run<T>() refuses a server that overrides both transform() and
// transform_stream() (tests/etl/CMakeLists.txt checks the message).
#include "anvil/etl/etl_server.hpp"

struct Both : anvil::etl::EtlServer {
  void transform(std::string_view, const anvil::etl::ObjectRef&, std::string&) override {}
  void transform_stream(anvil::etl::ObjectReader&, const anvil::etl::ObjectRef&,
                        anvil::etl::ObjectWriter&) override {}
};

int main(int argc, char** argv) {
  return anvil::etl::run<Both>(argc, argv);
}
