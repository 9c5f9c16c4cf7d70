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
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

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

class UpstreamExchange::State {
 public:
  Transport transport;
  http::ResponseParser parser;
  std::string buffer = std::string(64 * 1024, '\0');
  size_t begin = 0;
  size_t end = 0;
  std::string_view pending;  // response body bytes parsed but not yet handed out
  bool body_done = false;
};

UpstreamExchange::UpstreamExchange() : state_(std::make_unique<State>()) {}
UpstreamExchange::~UpstreamExchange() = default;

bool UpstreamExchange::fail(UpstreamFailure kind, std::string what) {
  failure_ = kind;
  error_ = std::move(what);
  return false;
}

namespace {

bool write_all(Transport& transport, std::string_view data, std::string& error) {
  while (!data.empty()) {
    const ssize_t n = transport.write(data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "WriteError: " + transport.last_error();
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool UpstreamExchange::open(const UpstreamRequest& call, bool chunked_body) {
  const http::Url& url = *call.url;
  core::SocketAddress address;
  try {
    address = core::resolve(url.host, url.port);
  } catch (const std::exception& e) {
    return fail(UpstreamFailure::transient, std::string("ConnectionError: ") + e.what());
  }
  Transport& transport = state_->transport;
  int error = 0;
  transport.fd = core::start_connect(address, error);
  if (!transport.fd) {
    const UpstreamResponse r = connect_failure(error);
    return fail(r.failure, r.error);
  }
  pollfd p{transport.fd.get(), POLLOUT, 0};
  int ready;
  while ((ready = ::poll(&p, 1, kInactivitySeconds * 1000)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) return fail(UpstreamFailure::transient, "ConnectionError: connect timed out");
  if ((error = core::finish_connect(transport.fd.get())) != 0) {
    const UpstreamResponse r = connect_failure(error);
    return fail(r.failure, r.error);
  }
  // From here on, blocking I/O with an inactivity limit: this thread owns this exchange.
  const int flags = ::fcntl(transport.fd.get(), F_GETFL);
  ::fcntl(transport.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  timeval limit{kInactivitySeconds, 0};
  ::setsockopt(transport.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(transport.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (url.tls()) {
    const std::string tls_error = transport.start_tls(url.host, is_ip_literal(url.host));
    // A certificate or configuration problem does not heal by retrying.
    if (!tls_error.empty()) return fail(UpstreamFailure::permanent, "SSLError: " + tls_error);
  }

  http::RequestSpec spec;
  spec.method = std::string(call.method);
  spec.target = url.target;
  spec.headers = call.headers;
  if (!call.bearer_token.empty())
    spec.headers.emplace_back("Authorization", "Bearer " + std::string(call.bearer_token));
  if (!chunked_body) spec.body.assign(call.body);  // one copy per outbound request
  std::string request;
  try {
    request = http::serialize_request(spec, url, false);
  } catch (const std::exception& e) {
    return fail(UpstreamFailure::permanent, e.what());
  }
  if (chunked_body) {
    // The request builder frames bodies with Content-Length only; a streamed body's length
    // is unknown, so its (empty) Content-Length becomes chunked framing.
    constexpr std::string_view kEmpty = "\r\nContent-Length: 0\r\n";
    const size_t at = request.find(kEmpty);
    if (at == std::string::npos)
      return fail(UpstreamFailure::permanent, "chunked body needs a PUT or POST");
    request.replace(at, kEmpty.size(), "\r\nTransfer-Encoding: chunked\r\n");
  }
  state_->parser.start(call.method == "HEAD");
  std::string write_error;
  if (!write_all(transport, request, write_error))
    return fail(UpstreamFailure::transient, write_error);
  return true;
}

bool UpstreamExchange::send_chunk(std::string_view data) {
  if (data.empty()) return true;
  char size_line[24];
  auto [end, ec] = std::to_chars(size_line, size_line + 20, data.size(), 16);
  *end++ = '\r';
  *end++ = '\n';
  std::string write_error;
  if (!write_all(state_->transport, std::string_view(size_line, end), write_error) ||
      !write_all(state_->transport, data, write_error) ||
      !write_all(state_->transport, "\r\n", write_error)) {
    return fail(UpstreamFailure::transient, write_error);
  }
  return true;
}

bool UpstreamExchange::end_body() {
  std::string write_error;
  if (!write_all(state_->transport, "0\r\n\r\n", write_error))
    return fail(UpstreamFailure::transient, write_error);
  return true;
}

namespace {

using Event = http::ResponseParser::Event;

// The next parser event, reading from the connection as needed; Event::error with `error` set
// when the response cannot be had.
http::ParseStep next_event(Transport& transport, http::ResponseParser& parser, std::string& buffer,
                           size_t& begin, size_t& end, std::string& error) {
  for (;;) {
    const auto step = parser.next(std::string_view(buffer.data() + begin, end - begin));
    begin += step.consumed;
    if (step.event == Event::error) {
      error = std::string("RemoteProtocolError: ") + http::to_string(parser.error());
      return step;
    }
    if (step.event != Event::need_more) return step;
    if (begin == end) begin = end = 0;
    if (end == buffer.size()) {
      if (begin == 0) {
        error = "RemoteProtocolError: head too large";
        return {Event::error, 0, {}};
      }
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    const ssize_t n = transport.read(buffer.data() + end, buffer.size() - end);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
      error = timed_out ? "ReadTimeout" : "ReadError: " + transport.last_error();
      return {Event::error, 0, {}};
    }
    if (n == 0) {
      const auto last = parser.finish_eof();
      if (last.event == Event::complete) return last;
      error = "RemoteProtocolError: connection closed before the response was complete";
      return {Event::error, 0, {}};
    }
    end += static_cast<size_t>(n);
  }
}

}  // namespace

bool UpstreamExchange::read_head(UpstreamResponse& response) {
  State& s = *state_;
  std::string error;
  const auto step = next_event(s.transport, s.parser, s.buffer, s.begin, s.end, error);
  if (step.event == Event::error) return fail(UpstreamFailure::transient, error);
  if (step.event != Event::head) return fail(UpstreamFailure::transient, "no response head");
  const http::ResponseHead& head = s.parser.head();
  response.status = head.status;
  response.has_content_length = head.framing == http::BodyFraming::content_length;
  for (const http::Header& h : head.headers()) {
    if (h.name.size() > 4 && http::syntax::iequals(h.name.substr(0, 4), "ais-"))
      response.ais_headers.emplace_back(std::string(h.name), std::string(h.value));
  }
  return true;
}

size_t UpstreamExchange::read_body(std::span<char> buf) {
  State& s = *state_;
  for (;;) {
    if (!s.pending.empty()) {
      const size_t n = std::min(buf.size(), s.pending.size());
      std::memcpy(buf.data(), s.pending.data(), n);
      s.pending.remove_prefix(n);
      return n;
    }
    if (s.body_done || buf.empty()) return 0;
    std::string error;
    const auto step = next_event(s.transport, s.parser, s.buffer, s.begin, s.end, error);
    if (step.event == Event::error) {
      fail(UpstreamFailure::transient, error);
      throw std::runtime_error(error);
    }
    s.pending = step.body;
    if (step.event == Event::complete) s.body_done = true;
  }
}

bool UpstreamExchange::read_rest(UpstreamResponse& response) {
  try {
    char piece[16 * 1024];
    while (const size_t n = read_body(piece))
      response.body.append(piece, n);
  } catch (const std::runtime_error&) {
    return false;
  }
  return true;
}

UpstreamResponse upstream_call(const UpstreamRequest& call) {
  UpstreamExchange exchange;
  UpstreamResponse response;
  if (exchange.open(call, false) && exchange.read_head(response) && exchange.read_rest(response))
    return response;
  return failure(exchange.failure(), exchange.error());
}

}  // namespace anvil::etl
