#pragma once

#include <openssl/ssl.h>

#include <string>

namespace anvil::load {

// One OpenSSL client context per run, shared read-only by the workers (SSL_CTX is safe to
// share once configured); each connection makes its own SSL object from it.
class TlsClient {
 public:
  // verify_peer: check the chain against the system CAs and the host name (the default);
  // false accepts any certificate, like curl -k.
  TlsClient(const std::string& server_name, bool verify_peer);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // A new client session for `fd`, with SNI and host-name verification set. nullptr on failure.
  SSL* new_session(int fd) const noexcept;

 private:
  SSL_CTX* ctx_ = nullptr;
  std::string server_name_;
  bool verify_peer_;
  bool name_is_ip_;
};

}  // namespace anvil::load
