#include "anvil/load/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace anvil::load {

namespace {

bool is_ip_literal(const std::string& name) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

}  // namespace

TlsClient::TlsClient(const std::string& server_name, bool verify_peer)
    : server_name_(server_name),
      verify_peer_(verify_peer),
      name_is_ip_(is_ip_literal(server_name)) {
  ctx_ = ::SSL_CTX_new(::TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("cannot create a TLS context");
  ::SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // Writes resume from the same request bytes after WANT_WRITE, and may be partial.
  ::SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (verify_peer_) {
    ::SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (::SSL_CTX_set_default_verify_paths(ctx_) != 1) {
      ::SSL_CTX_free(ctx_);
      throw std::runtime_error("cannot load the system CA certificates");
    }
  } else {
    ::SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
}

TlsClient::~TlsClient() {
  ::SSL_CTX_free(ctx_);
}

SSL* TlsClient::new_session(int fd) const noexcept {
  SSL* ssl = ::SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (::SSL_set_fd(ssl, fd) != 1) {
    ::SSL_free(ssl);
    return nullptr;
  }
  if (!name_is_ip_) ::SSL_set_tlsext_host_name(ssl, server_name_.c_str());
  if (verify_peer_) {
    X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
    if (name_is_ip_) {
      ::X509_VERIFY_PARAM_set1_ip_asc(param, server_name_.c_str());
    } else {
      ::X509_VERIFY_PARAM_set1_host(param, server_name_.c_str(), 0);
    }
  }
  ::SSL_set_connect_state(ssl);
  return ssl;
}

}  // namespace anvil::load
