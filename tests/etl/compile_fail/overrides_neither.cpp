// Must not compile: run<T>() refuses a server that overrides neither transform() nor
// transform_stream() (tests/etl/CMakeLists.txt checks the message).
#include "anvil/etl/etl_server.hpp"

struct Neither : anvil::etl::EtlServer {};

int main(int argc, char** argv) {
  return anvil::etl::run<Neither>(argc, argv);
}
