#include "upstream_client.hpp"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "anvil/core/socket.hpp"
#include "anvil/http/request_builder.hpp"
#include "anvil/http/response_parser.hpp"
#include "anvil/http/syntax.hpp"
#include "environment.hpp"

namespace anvil::etl {

namespace {

// The reference servers set no outbound timeout; a dead peer must still not pin a worker
// forever, so a long inactivity limit applies to the connect and to every read and write.
constexpr int kInactivitySeconds = 300;

UpstreamResponse failure(UpstreamFailure kind, std::string what) {
  UpstreamResponse r;
  r.failure = kind;
  r.error = std::move(what);
  return r;
}

UpstreamResponse connect_failure(int error) {
  return failure(error == ECONNREFUSED ? UpstreamFailure::refused : UpstreamFailure::transient,
                 std::string("ConnectionError: ") + std::strerror(error));
}

std::string ssl_error_text() {
  const unsigned long code = ::ERR_get_error();
  ::ERR_clear_error();
  if (code == 0) return "TLS error";
  char text[256];
  ::ERR_error_string_n(code, text, sizeof text);
  return text;
}

// The TLS settings of AIStore's pod environment (contract §8), read once: AIS_SKIP_VERIFY_CRT
// (or AIS_SKIP_VERIFY) turns verification off, AIS_CLIENT_CA adds a CA bundle, AIS_CRT and
// AIS_CRT_KEY give a client certificate.
struct TlsSettings {
  SSL_CTX* ctx = nullptr;
  std::string error;
  bool verify = true;
};

const TlsSettings& tls_settings() {
  static TlsSettings settings;
  static std::once_flag once;
  std::call_once(once, [] {
    SSL_CTX* ctx = ::SSL_CTX_new(::TLS_client_method());
    if (ctx == nullptr) {
      settings.error = "cannot create a TLS context";
      return;
    }
    ::SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    settings.verify = !(env_true("AIS_SKIP_VERIFY_CRT") || env_true("AIS_SKIP_VERIFY"));
    if (settings.verify) {
      ::SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      ::SSL_CTX_set_default_verify_paths(ctx);
      if (const char* ca = std::getenv("AIS_CLIENT_CA"); ca != nullptr && *ca != '\0') {
        if (::SSL_CTX_load_verify_locations(ctx, ca, nullptr) != 1) {
          settings.error = std::string("AIS_CLIENT_CA '") + ca + "': " + ssl_error_text();
        }
      }
    }
    const char* crt = std::getenv("AIS_CRT");
    const char* key = std::getenv("AIS_CRT_KEY");
    if (crt != nullptr && *crt != '\0' && key != nullptr && *key != '\0') {
      if (::SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
          ::SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        settings.error = std::string("AIS_CRT/AIS_CRT_KEY: ") + ssl_error_text();
      }
    }
    settings.ctx = ctx;
  });
  return settings;
}

// One blocking connection, plain or TLS.
class Transport {
 public:
  ~Transport() {
    if (ssl_ != nullptr) ::SSL_free(ssl_);
  }
  core::UniqueFd fd;

  // TLS handshake with SNI and host-name verification; empty string on success.
  std::string start_tls(const std::string& host, bool host_is_ip) {
    const TlsSettings& settings = tls_settings();
    if (settings.ctx == nullptr || !settings.error.empty()) return settings.error;
    ssl_ = ::SSL_new(settings.ctx);
    if (ssl_ == nullptr || ::SSL_set_fd(ssl_, fd.get()) != 1) return ssl_error_text();
    if (!host_is_ip) ::SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (settings.verify) {
      X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl_);
      if (host_is_ip) {
        ::X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
      } else {
        ::X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      }
    }
    if (::SSL_connect(ssl_) != 1) return "TLS handshake: " + ssl_error_text();
    return {};
  }

  // Bytes written or read, 0 at EOF, -1 on error (errno or the TLS error in last_error).
  ssize_t write(const char* data, size_t size) {
    if (ssl_ == nullptr) return ::send(fd.get(), data, size, MSG_NOSIGNAL);
    const int n = ::SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
    return n > 0 ? n : fail_tls(n);
  }
  ssize_t read(char* data, size_t size) {
    if (ssl_ == nullptr) return ::recv(fd.get(), data, size, 0);
    const int n = ::SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
    if (n > 0) return n;
    const int error = ::SSL_get_error(ssl_, n);
    // A peer that closes without close_notify is the usual way HTTP/1.1 servers end.
    if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0)) return 0;
    return fail_tls(n);
  }
  std::string last_error() const {
    return last_error_.empty() ? std::strerror(errno) : last_error_;
  }

 private:
  ssize_t fail_tls(int) {
    last_error_ = ssl_error_text();
    return -1;
  }
  SSL* ssl_ = nullptr;
  std::string last_error_;
};

bool is_ip_literal(const std::string& host) {
  return host.find(':') != std::string::npos ||
         host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

const std::string* UpstreamResponse::ais_header(std::string_view name) const {
  for (const auto& [n, v] : ais_headers) {
    if (http::syntax::iequals(n, name)) return &v;
  }
  return nullptr;
}

UpstreamResponse upstream_call(const UpstreamRequest& call) {
  const http::Url& url = *call.url;
  core::SocketAddress address;
  try {
    address = core::resolve(url.host, url.port);
  } catch (const std::exception& e) {
    return failure(UpstreamFailure::transient, std::string("ConnectionError: ") + e.what());
  }
  Transport transport;
  int error = 0;
  transport.fd = core::start_connect(address, error);
  if (!transport.fd) return connect_failure(error);
  pollfd p{transport.fd.get(), POLLOUT, 0};
  int ready;
  while ((ready = ::poll(&p, 1, kInactivitySeconds * 1000)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) return failure(UpstreamFailure::transient, "ConnectionError: connect timed out");
  if ((error = core::finish_connect(transport.fd.get())) != 0) return connect_failure(error);
  // From here on, blocking I/O with an inactivity limit: a worker thread owns this exchange.
  const int flags = ::fcntl(transport.fd.get(), F_GETFL);
  ::fcntl(transport.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  timeval limit{kInactivitySeconds, 0};
  ::setsockopt(transport.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(transport.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (url.tls()) {
    const std::string tls_error = transport.start_tls(url.host, is_ip_literal(url.host));
    // A certificate or configuration problem does not heal by retrying.
    if (!tls_error.empty()) return failure(UpstreamFailure::permanent, "SSLError: " + tls_error);
  }

  http::RequestSpec spec;
  spec.method = std::string(call.method);
  spec.target = url.target;
  spec.headers = call.headers;
  if (!call.bearer_token.empty())
    spec.headers.emplace_back("Authorization", "Bearer " + std::string(call.bearer_token));
  spec.body.assign(call.body);  // one copy per outbound request: the worker path, not the loop's
  const std::string request = http::serialize_request(spec, url, false);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = transport.write(request.data() + sent, request.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failure(UpstreamFailure::transient, "WriteError: " + transport.last_error());
    sent += static_cast<size_t>(n);
  }

  http::ResponseParser parser;
  parser.start(call.method == "HEAD");
  UpstreamResponse response;
  std::string buffer(64 * 1024, '\0');
  size_t begin = 0, end = 0;
  using Event = http::ResponseParser::Event;
  for (;;) {
    // Parse what we have; the head must be contiguous, the body is copied out as it comes.
    for (;;) {
      const auto step = parser.next(std::string_view(buffer.data() + begin, end - begin));
      begin += step.consumed;
      if (step.event == Event::head) {
        const http::ResponseHead& head = parser.head();
        response.status = head.status;
        response.has_content_length = head.framing == http::BodyFraming::content_length;
        for (const http::Header& h : head.headers()) {
          if (h.name.size() > 4 && http::syntax::iequals(h.name.substr(0, 4), "ais-")) {
            response.ais_headers.emplace_back(std::string(h.name), std::string(h.value));
          }
        }
      } else if (step.event == Event::body) {
        response.body.append(step.body);
      } else if (step.event == Event::complete) {
        response.body.append(step.body);
        return response;
      } else if (step.event == Event::error) {
        return failure(UpstreamFailure::transient,
                       std::string("RemoteProtocolError: ") + http::to_string(parser.error()));
      } else {
        break;
      }
    }
    if (begin == end) begin = end = 0;
    if (end == buffer.size()) {
      if (begin == 0)
        return failure(UpstreamFailure::transient, "RemoteProtocolError: head too large");
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    const ssize_t n = transport.read(buffer.data() + end, buffer.size() - end);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
      return failure(UpstreamFailure::transient,
                     timed_out ? "ReadTimeout" : "ReadError: " + transport.last_error());
    }
    if (n == 0) {
      const auto step = parser.finish_eof();
      if (step.event == Event::complete) {
        response.body.append(step.body);
        return response;
      }
      return failure(UpstreamFailure::transient,
                     "RemoteProtocolError: connection closed before the response was complete");
    }
    end += static_cast<size_t>(n);
  }
}

}  // namespace anvil::etl
