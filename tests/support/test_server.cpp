// anvil-test-server: a deliberately plain, blocking, thread-per-connection HTTP/1.1 server that
// the integration tests drive `anvil load` against. It is the ground truth of those tests, so it
// favours obviously-correct code over speed: it counts every request it parsed and every response
// it wrote, and on SIGTERM/SIGINT prints those counters as one JSON line and exits 0.
//
// Usage: anvil-test-server [--host 127.0.0.1|::1] [--mode M] [options]
//   prints "PORT <n>" (kernel-chosen port) as its first stdout line.
// Modes (--mode):
//   ok        200 with --body TEXT; --status-cycle 200,404,500 answers those codes in turn
//   freeze    like ok, but whenever (now - start) mod --period < --freeze (seconds) every
//             response is held until that window ends (a stop-the-world pause)
//   delay     every response after --delay-ms D
//   reset     read the request, then close with SO_LINGER{1,0} so the peer gets a RST
//   garbage   answer every request with bytes that are not HTTP
//   close-mid send a head announcing 100 body bytes and only 10 of them, then close
//   stall     read requests, never answer
//   http10    HTTP/1.0 response, no keep-alive, close after each (--no-content-length: the body
//             is delimited by the close, RFC 9112 section 6.3 rule 8)
// Other options: --tls-cert F --tls-key F (HTTPS), --expect-header 'Name: value' (counts the
// requests that carry it), --max-connections N (bound on connection threads, default 1024).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { ok, freeze, delay, reset, garbage, close_mid, stall, http10 };

struct Config {
  std::string host = "127.0.0.1";
  Mode mode = Mode::ok;
  std::string body = "Hello World!";
  std::vector<int> status_cycle{200};
  double freeze_s = 0;
  double period_s = 1;
  int delay_ms = 0;
  bool content_length = true;  // http10 only
  std::string tls_cert;
  std::string tls_key;
  std::string expect_name;  // lower-case
  std::string expect_value;
  int max_connections = 1024;
};

// Limits that keep a misbehaving client from growing a connection thread without bound.
constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kReadChunk = 16 * 1024;

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "anvil-test-server: %s\n", msg.c_str());
  std::exit(2);
}

template <typename T>
T parse_number(std::string_view text, std::string_view flag) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    usage_error("bad value for " + std::string(flag) + ": " + std::string(text));
  }
  return value;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Mode parse_mode(std::string_view m) {
  static const std::pair<std::string_view, Mode> kModes[] = {
      {"ok", Mode::ok},       {"freeze", Mode::freeze},   {"delay", Mode::delay},
      {"reset", Mode::reset}, {"garbage", Mode::garbage}, {"close-mid", Mode::close_mid},
      {"stall", Mode::stall}, {"http10", Mode::http10},
  };
  for (const auto& [name, mode] : kModes) {
    if (name == m) return mode;
  }
  usage_error("unknown mode: " + std::string(m));
}

Config parse_args(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage_error("missing value for " + std::string(flag));
      return argv[++i];
    };
    if (flag == "--host") {
      cfg.host = value();
    } else if (flag == "--port") {
      if (value() != "0") usage_error("the port is always 0 (the kernel picks)");
    } else if (flag == "--mode") {
      cfg.mode = parse_mode(value());
    } else if (flag == "--body") {
      cfg.body = value();
    } else if (flag == "--status-cycle") {
      cfg.status_cycle.clear();
      std::string_view list = value();
      while (!list.empty()) {
        size_t comma = list.find(',');
        int code = parse_number<int>(list.substr(0, comma), flag);
        if (code < 100 || code > 999) usage_error("bad status code");
        cfg.status_cycle.push_back(code);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
      if (cfg.status_cycle.empty()) usage_error("empty --status-cycle");
    } else if (flag == "--freeze") {
      cfg.freeze_s = parse_number<double>(value(), flag);
    } else if (flag == "--period") {
      cfg.period_s = parse_number<double>(value(), flag);
    } else if (flag == "--delay-ms") {
      cfg.delay_ms = parse_number<int>(value(), flag);
    } else if (flag == "--no-content-length") {
      cfg.content_length = false;
    } else if (flag == "--tls-cert") {
      cfg.tls_cert = value();
    } else if (flag == "--tls-key") {
      cfg.tls_key = value();
    } else if (flag == "--expect-header") {
      std::string_view h = value();
      size_t colon = h.find(':');
      if (colon == std::string_view::npos) usage_error("--expect-header wants 'Name: value'");
      cfg.expect_name = to_lower(trim(h.substr(0, colon)));
      cfg.expect_value = std::string(trim(h.substr(colon + 1)));
    } else if (flag == "--max-connections") {
      cfg.max_connections = parse_number<int>(value(), flag);
      if (cfg.max_connections < 1) usage_error("--max-connections must be >= 1");
    } else {
      usage_error("unknown flag: " + std::string(flag));
    }
  }
  if (cfg.period_s <= 0 || cfg.freeze_s < 0 || cfg.freeze_s > cfg.period_s) {
    usage_error("need 0 <= --freeze <= --period and --period > 0");
  }
  if (cfg.tls_cert.empty() != cfg.tls_key.empty())
    usage_error("need both --tls-cert and --tls-key");
  return cfg;
}

// Everything the tests compare anvil's report against. Plain counters are atomics; the maps are
// behind one mutex (a few hundred ns per request, far below what a blocking server costs anyway).
struct Counters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> body_bytes{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> header_matches{0};
  std::mutex mu;
  std::map<std::string, uint64_t> by_path;
  std::map<std::string, uint64_t> by_method;
  std::map<std::string, uint64_t> by_status;

  nlohmann::json to_json() {
    std::lock_guard lock(mu);
    return {{"requests", requests.load()},
            {"connections", connections.load()},
            {"body_bytes", body_bytes.load()},
            {"bytes_written", bytes_written.load()},
            {"header_matches", header_matches.load()},
            {"by_path", by_path},
            {"by_method", by_method},
            {"by_status", by_status}};
  }
};

const char* reason(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

struct Server {
  Config cfg;
  Counters counters;
  Clock::time_point start = Clock::now();
  std::atomic<uint64_t> status_index{0};
  SSL_CTX* tls = nullptr;

  // Bounds the number of live connection threads: the acceptor waits for a free slot.
  std::mutex slots_mu;
  std::condition_variable slots_cv;
  int active = 0;

  int next_status() {
    uint64_t i = status_index.fetch_add(1, std::memory_order_relaxed);
    return cfg.status_cycle[i % cfg.status_cycle.size()];
  }

  // In freeze mode: how long a response that is ready now must wait for the pause to end.
  Clock::duration freeze_hold(Clock::time_point now) const {
    const auto period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.period_s));
    const auto freeze =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.freeze_s));
    const auto phase = (now - start) % period;
    return phase < freeze ? freeze - phase : Clock::duration::zero();
  }
};

// One accepted connection: plain or TLS byte stream, an input buffer with a read cursor and an
// output buffer that is flushed before every blocking read (so pipelined responses go out in one
// write, and a client waiting for them never deadlocks against us).
class Connection {
 public:
  Connection(Server& server, int fd) : server_(server), fd_(fd) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void run() {
    if (server_.tls != nullptr) {
      ssl_ = SSL_new(server_.tls);
      if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1 || SSL_accept(ssl_) != 1) return;
    }
    while (serve_one()) {
    }
    flush();
  }

 private:
  struct Request {
    std::string method;
    std::string target;
    bool keep_alive = true;
  };

  // Reads and answers one request; false when the connection is done.
  bool serve_one() {
    std::optional<Request> req = read_request();
    if (!req) return false;
    switch (server_.cfg.mode) {
      case Mode::ok:
        return respond(*req);
      case Mode::freeze:
        if (auto hold = server_.freeze_hold(Clock::now()); hold > Clock::duration::zero()) {
          flush();
          std::this_thread::sleep_for(hold);
        }
        return respond(*req);
      case Mode::delay:
        flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(server_.cfg.delay_ms));
        return respond(*req);
      case Mode::reset: {
        flush();
        // A zero linger time makes close() discard unsent data and send RST (RFC 9293 3.10.4
        // "abort"), instead of the orderly FIN.
        linger lg{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(fd_);
        fd_ = -1;
        return false;
      }
      case Mode::garbage:
        out_ += "HTXP/9.9 abc\r\n\r\n";
        return true;
      case Mode::close_mid:
        out_ += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n";
        out_ += "0123456789";
        flush();
        ::shutdown(fd_, SHUT_WR);
        return false;
      case Mode::stall:
        return true;
      case Mode::http10: {
        const int code = server_.next_status();
        out_ += "HTTP/1.0 " + std::to_string(code) + " " + reason(code) +
                "\r\nServer: anvil-test-server\r\nContent-Type: text/plain\r\n";
        if (server_.cfg.content_length) {
          out_ += "Content-Length: " + std::to_string(server_.cfg.body.size()) + "\r\n";
        }
        out_ += "\r\n" + server_.cfg.body;
        count_status(code);
        flush();
        return false;
      }
    }
    return false;
  }

  bool respond(const Request& req) {
    const int code = server_.next_status();
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(code);
    out_ += ' ';
    out_ += reason(code);
    out_ += "\r\nContent-Type: text/plain\r\nContent-Length: ";
    out_ += std::to_string(server_.cfg.body.size());
    if (!req.keep_alive) out_ += "\r\nConnection: close";
    out_ += "\r\n\r\n";
    if (req.method != "HEAD") out_ += server_.cfg.body;
    count_status(code);
    return req.keep_alive;
  }

  void count_status(int code) {
    std::lock_guard lock(server_.counters.mu);
    ++server_.counters.by_status[std::to_string(code)];
  }

  // Parses one request head and drains its body (RFC 9112 section 6). Returns nullopt on EOF,
  // I/O error or a request this server refuses to understand (the connection is then closed).
  std::optional<Request> read_request() {
    size_t head_end;
    while ((head_end = unread().find("\r\n\r\n")) == std::string_view::npos) {
      if (unread().size() > kMaxHead || !recv_more()) return std::nullopt;
    }
    std::string_view head = unread().substr(0, head_end + 2);  // keep the last line's CRLF

    Request req;
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
    req.method = std::string(line.substr(0, sp1));
    req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    const bool http10 = line.substr(sp2 + 1) == "HTTP/1.0";
    // RFC 9112 section 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
    req.keep_alive = !http10;

    uint64_t content_length = 0;
    bool chunked = false;
    bool header_match = false;
    head.remove_prefix(eol + 2);
    while (!head.empty()) {
      eol = head.find("\r\n");
      line = head.substr(0, eol);
      head.remove_prefix(eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      const std::string name = to_lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-length") {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length);
        if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
      } else if (name == "transfer-encoding") {
        chunked = to_lower(value).find("chunked") != std::string::npos;
      } else if (name == "connection") {
        const std::string v = to_lower(value);
        if (v.find("close") != std::string::npos) req.keep_alive = false;
        if (v.find("keep-alive") != std::string::npos) req.keep_alive = true;
      }
      if (!server_.cfg.expect_name.empty() && name == server_.cfg.expect_name &&
          value == server_.cfg.expect_value) {
        header_match = true;
      }
    }
    consume(head_end + 4);

    uint64_t body = 0;
    if (chunked) {
      if (!drain_chunked(body)) return std::nullopt;
    } else {
      if (!drain(content_length)) return std::nullopt;
      body = content_length;
    }

    Counters& c = server_.counters;
    c.requests.fetch_add(1, std::memory_order_relaxed);
    c.body_bytes.fetch_add(body, std::memory_order_relaxed);
    if (header_match) c.header_matches.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(c.mu);
      ++c.by_path[req.target];
      ++c.by_method[req.method];
    }
    return req;
  }

  bool drain(uint64_t n) {
    while (n > 0) {
      if (unread().empty() && !recv_more()) return false;
      const uint64_t take = std::min<uint64_t>(n, unread().size());
      consume(take);
      n -= take;
    }
    return true;
  }

  // RFC 9112 section 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF.
  bool drain_chunked(uint64_t& total) {
    for (;;) {
      std::optional<std::string> line = read_line();
      if (!line) return false;
      std::string_view size_text = *line;
      size_text = trim(size_text.substr(0, size_text.find(';')));
      uint64_t size = 0;
      auto [end, ec] =
          std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
      if (ec != std::errc{} || end != size_text.data() + size_text.size()) return false;
      if (size == 0) {
        for (;;) {  // trailer section, ends with an empty line
          std::optional<std::string> trailer = read_line();
          if (!trailer) return false;
          if (trailer->empty()) return true;
        }
      }
      if (!drain(size + 2)) return false;  // data and its CRLF
      total += size;
    }
  }

  std::optional<std::string> read_line() {
    size_t eol;
    while ((eol = unread().find("\r\n")) == std::string_view::npos) {
      if (unread().size() > kMaxHead || !recv_more()) return std::nullopt;
    }
    std::string line(unread().substr(0, eol));
    consume(eol + 2);
    return line;
  }

  std::string_view unread() const { return std::string_view(in_).substr(pos_); }
  void consume(size_t n) { pos_ += n; }

  bool recv_more() {
    if (!flush()) return false;
    if (pos_ > 0) {  // compact so the buffer never grows past one request plus one read
      in_.erase(0, pos_);
      pos_ = 0;
    }
    const size_t old = in_.size();
    in_.resize(old + kReadChunk);
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, in_.data() + old, static_cast<int>(kReadChunk));
    } else {
      do {
        n = ::recv(fd_, in_.data() + old, kReadChunk, 0);
      } while (n < 0 && errno == EINTR);
    }
    in_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    return n > 0;
  }

  bool flush() {
    size_t off = 0;
    while (off < out_.size()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        n = SSL_write(ssl_, out_.data() + off, static_cast<int>(out_.size() - off));
      } else {
        n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) {
        out_.clear();
        return false;
      }
      server_.counters.bytes_written.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      off += static_cast<size_t>(n);
    }
    out_.clear();
    return true;
  }

  Server& server_;
  int fd_;
  SSL* ssl_ = nullptr;
  std::string in_;
  size_t pos_ = 0;
  std::string out_;
};

int listen_on(const std::string& host) {
  sockaddr_storage addr{};
  socklen_t len;
  int family;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) usage_error("bad --host " + host);
    family = AF_INET6;
    len = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) usage_error("bad --host " + host);
    family = AF_INET;
    len = sizeof *a4;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) usage_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 1024) != 0) {
    usage_error(std::string("bind/listen: ") + std::strerror(errno));
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

SSL_CTX* make_tls(const Config& cfg) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, cfg.tls_cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, cfg.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    usage_error(std::string("TLS setup: ") + buf);
  }
  return ctx;
}

void accept_loop(Server& server, int listen_fd) {
  for (;;) {
    {
      std::unique_lock lock(server.slots_mu);
      server.slots_cv.wait(lock, [&] { return server.active < server.cfg.max_connections; });
    }
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      std::fprintf(stderr, "anvil-test-server: accept: %s\n", std::strerror(errno));
      std::exit(1);
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    server.counters.connections.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(server.slots_mu);
      ++server.active;
    }
    std::thread([&server, fd] {
      {
        Connection conn(server, fd);
        conn.run();
      }
      std::lock_guard lock(server.slots_mu);
      --server.active;
      server.slots_cv.notify_one();
    }).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Test infrastructure must never outlive the test that started it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 1;

  Server server;
  server.cfg = parse_args(argc, argv);

  // SIGTERM/SIGINT are taken synchronously by main (sigwait); every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (!server.cfg.tls_cert.empty()) server.tls = make_tls(server.cfg);
  const int listen_fd = listen_on(server.cfg.host);
  server.start = Clock::now();
  std::printf("PORT %d\n", bound_port(listen_fd));
  std::fflush(stdout);

  std::thread(accept_loop, std::ref(server), listen_fd).detach();

  int sig = 0;
  sigwait(&stop_signals, &sig);
  const std::string line = server.counters.to_json().dump();
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  // Connection threads may be blocked in recv(); leave without joining them.
  std::_Exit(0);
}
