// The MD5 of every object as 32 lowercase hex digits, as AIStore's md5 transformer and its
// integration tests expect.
#include <openssl/evp.h>

#include <stdexcept>

#include "anvil/etl/etl_server.hpp"

struct Md5Server : anvil::etl::EtlServer {
  void transform(std::string_view input, const anvil::etl::ObjectRef&, std::string& out) override {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_md5(), nullptr) != 1) {
      throw std::runtime_error("EVP_Digest(md5) failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 0xf]);
    }
  }
  std::string_view mime_type() const noexcept override { return "text/plain"; }
};

int main(int argc, char** argv) {
  return anvil::etl::run<Md5Server>(argc, argv);
}
