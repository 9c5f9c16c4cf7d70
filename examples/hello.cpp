// The published AIStore ETL benchmark's transform: every object becomes "Hello World!".
#include "anvil/etl/etl_server.hpp"

struct HelloServer : anvil::etl::EtlServer {
  void transform(std::string_view, const anvil::etl::ObjectRef&, std::string& out) override {
    out.append("Hello World!");
  }
  std::string_view mime_type() const noexcept override { return "text/plain"; }
};

int main(int argc, char** argv) {
  return anvil::etl::run<HelloServer>(argc, argv);
}
