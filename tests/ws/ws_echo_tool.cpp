// A small blocking WebSocket echo endpoint built only on anvil::ws, so an independent
// implementation (Python `websockets`, see test_ws_interop.py) can check the codec over real
// sockets. Not production code: one thread per connection, messages gathered in a string.
//
//   anvil-ws-echo-tool [--max-message N] [--exit-on-stdin-eof]
//     Server: listens on 127.0.0.1, port 0; prints "PORT <n>"; completes handshakes; echoes
//     text and binary messages with their type; answers pings; echoes close codes; on a
//     protocol error sends the close code for it and closes. Exits when its parent dies
//     (PR_SET_PDEATHSIG) or, with --exit-on-stdin-eof, when stdin is closed.
//   anvil-ws-echo-tool --client <port>
//     Client: connects to a WebSocket echo server on 127.0.0.1:<port>, sends a fixed script of
//     messages (see kScript in test_ws_interop.py), checks every echo, pong and the close
//     reply; prints "OK <messages>" and exits 0, or prints the failure and exits 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "anvil/ws/frame.hpp"
#include "anvil/ws/handshake.hpp"
#include "anvil/ws/message_reader.hpp"

namespace {

using namespace anvil::ws;

bool write_all(int fd, std::span<iovec> iov) {
  size_t at = 0;
  while (at < iov.size()) {
    const ssize_t n = ::writev(fd, iov.data() + at, static_cast<int>(iov.size() - at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    size_t left = static_cast<size_t>(n);
    while (at < iov.size() && left >= iov[at].iov_len) {
      left -= iov[at].iov_len;
      ++at;
    }
    if (at < iov.size()) {
      iov[at].iov_base = static_cast<char*>(iov[at].iov_base) + left;
      iov[at].iov_len -= left;
    }
  }
  return true;
}

// One frame with one writev (server role); the client role masks a scratch copy.
bool send_frame(int fd, Role role, Opcode op, bool fin, std::string_view payload) {
  std::array<char, kMaxFrameHeaderSize> header{};
  std::string masked;
  size_t header_size;
  if (role == Role::client) {
    MaskKey key{};
    RAND_bytes(key.data(), 4);
    header_size = encode_frame_header(header, op, fin, payload.size(), &key);
    masked.assign(payload);
    apply_mask({masked.data(), masked.size()}, key);
    payload = masked;
  } else {
    header_size = encode_frame_header(header, op, fin, payload.size());
  }
  std::array<iovec, 2> iov{iovec{header.data(), header_size},
                           iovec{const_cast<char*>(payload.data()), payload.size()}};
  return write_all(fd, {iov.data(), payload.empty() ? size_t{1} : size_t{2}});
}

bool send_close(int fd, Role role, uint16_t code, std::string_view reason) {
  std::array<char, kMaxControlPayload> payload{};
  const size_t n = code == close_code::no_status ? 0 : encode_close_payload(payload, code, reason);
  return send_frame(fd, role, Opcode::close, true, {payload.data(), n});
}

// Closes after our close frame: stop writing, let the peer's close arrive and its TCP FIN, so
// the kernel does not answer unread input with a reset that could destroy our close frame.
void linger_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) break;
    const ssize_t n = ::read(fd, sink, sizeof sink);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  ::close(fd);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Reads until the end of an HTTP head; returns the head (with its CRLFCRLF) and leaves any
// bytes after it in `rest`.
std::optional<std::string> read_head(int fd, std::string& rest) {
  std::string data;
  char tmp[4096];
  for (;;) {
    if (const size_t end = data.find("\r\n\r\n"); end != std::string::npos) {
      rest = data.substr(end + 4);
      data.resize(end + 4);
      return data;
    }
    if (data.size() > 16384) return std::nullopt;
    const ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    data.append(tmp, static_cast<size_t>(n));
  }
}

// Start line and header fields; repeated fields are joined with ", " (RFC 9110 §5.3).
struct Head {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string get(std::string_view name) const {
    std::string v;
    for (const auto& [n, value] : fields) {
      if (!iequals(n, name)) continue;
      if (!v.empty()) v += ", ";
      v += value;
    }
    return v;
  }
};

Head parse_head(std::string_view text) {
  Head h;
  size_t at = 0;
  bool first = true;
  while (at < text.size()) {
    const size_t eol = text.find("\r\n", at);
    if (eol == std::string_view::npos || eol == at) break;
    const std::string_view line = text.substr(at, eol - at);
    at = eol + 2;
    if (first) {
      h.start_line = std::string(line);
      first = false;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    h.fields.emplace_back(std::string(line.substr(0, colon)),
                          std::string(trim(line.substr(colon + 1))));
  }
  return h;
}

void serve(int fd, FrameLimits limits) {
  std::string rest;
  const std::optional<std::string> text = read_head(fd, rest);
  if (!text) {
    ::close(fd);
    return;
  }
  const Head head = parse_head(*text);
  const std::string_view start = head.start_line;
  const size_t sp1 = start.find(' ');
  const size_t sp2 = start.rfind(' ');
  const std::string upgrade = head.get("Upgrade"), connection = head.get("Connection"),
                    version = head.get("Sec-WebSocket-Version"),
                    key = head.get("Sec-WebSocket-Key");
  UpgradeRequest request;
  request.method = start.substr(0, sp1);
  request.http_version = sp2 == std::string_view::npos ? std::string_view{} : start.substr(sp2 + 1);
  request.upgrade = upgrade;
  request.connection = connection;
  request.version = version;
  request.key = key;
  if (const HandshakeError e = check_upgrade(request); e != HandshakeError::none) {
    const std::string response = rejection_response(e);
    iovec iov{const_cast<char*>(response.data()), response.size()};
    write_all(fd, {&iov, 1});
    linger_close(fd);
    return;
  }
  const std::string response = switching_protocols_response(*accept_key(key));
  iovec iov{const_cast<char*>(response.data()), response.size()};
  if (!write_all(fd, {&iov, 1})) {
    ::close(fd);
    return;
  }

  std::vector<char> buf(std::max<size_t>(size_t{1} << 18, rest.size()));
  std::memcpy(buf.data(), rest.data(), rest.size());
  size_t have = rest.size();
  MessageReader reader(Role::server, limits);
  std::string message;
  for (;;) {
    std::span<char> in(buf.data(), have);
    for (bool more = true; more;) {
      const MessageReader::Step s = reader.next(in);
      in = in.subspan(s.consumed);
      using E = MessageReader::Event;
      switch (s.event) {
        case E::need_more:
          more = false;
          break;
        case E::message_start:
          message.clear();
          if (reader.single_frame()) {
            message.reserve(
                static_cast<size_t>(std::min<uint64_t>(reader.frame_length(), 1 << 26)));
          }
          break;
        case E::data:
          message.append(s.data.data(), s.data.size());
          break;
        case E::message_end:
          if (!send_frame(fd, Role::server, s.opcode, true, message)) {
            ::close(fd);
            return;
          }
          break;
        case E::ping:
          send_frame(fd, Role::server, Opcode::pong, true, {s.data.data(), s.data.size()});
          break;
        case E::pong:
          break;
        case E::close:
          send_close(fd, Role::server, reader.close_code(), reader.close_reason());
          linger_close(fd);
          return;
        case E::error:
          send_close(fd, Role::server, close_code_for(reader.error()), to_string(reader.error()));
          linger_close(fd);
          return;
      }
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      have = 0;
      continue;
    }
    if (n <= 0) {
      ::close(fd);
      return;
    }
    have = static_cast<size_t>(n);
  }
}

int run_server(FrameLimits limits, bool exit_on_stdin_eof) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 64) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("PORT %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  if (exit_on_stdin_eof) {
    std::thread([] {
      char c;
      while (::read(0, &c, 1) > 0) {
      }
      std::_Exit(0);
    }).detach();
  }
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::perror("accept");
      return 1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, fd, limits).detach();
  }
}

// ---- client mode ---------------------------------------------------------------------------

struct Scripted {
  Opcode opcode;
  std::vector<std::string> fragments;
  bool ping_after_first = false;
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 7 + 1) & 0xFF);
  return s;
}

// Must match CLIENT_SCRIPT in test_ws_interop.py.
std::vector<Scripted> script() {
  return {
      {Opcode::text, {"hello"}},
      {Opcode::text, {""}},
      {Opcode::binary, {""}},
      {Opcode::text, {"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 \xE2\x82\xAC\xF0\x9D\x84\x9E"}},
      {Opcode::binary, {pattern(125)}},
      {Opcode::binary, {pattern(126)}},
      {Opcode::binary, {pattern(65535)}},
      {Opcode::binary, {pattern(65536)}},
      {Opcode::binary, {pattern(1 << 20)}},
      {Opcode::text, {"frag", "men", "ted \xE2\x82", "\xAC"}, true},
      {Opcode::binary, {pattern(3), "", pattern(70000)}},
  };
}

class Client {
 public:
  explicit Client(int fd) : fd_(fd), reader_(Role::client), buf_(1 << 18) {}

  // Reads the next message, pong or close; returns the event kind.
  MessageReader::Event next(std::string& payload, Opcode& opcode) {
    payload.clear();
    for (;;) {
      while (pos_ < have_ || !drained_) {
        const MessageReader::Step s = reader_.next({buf_.data() + pos_, have_ - pos_});
        pos_ += s.consumed;
        using E = MessageReader::Event;
        switch (s.event) {
          case E::need_more:
            drained_ = true;
            break;
          case E::message_start:
            payload.clear();
            break;
          case E::data:
            payload.append(s.data.data(), s.data.size());
            break;
          case E::message_end:
            opcode = s.opcode;
            return s.event;
          case E::ping:
            send_frame(fd_, Role::client, Opcode::pong, true, {s.data.data(), s.data.size()});
            break;
          case E::pong:
            payload.assign(s.data.data(), s.data.size());
            return s.event;
          case E::close:
            close_code_ = reader_.close_code();
            return s.event;
          case E::error:
            return s.event;
        }
        if (drained_) break;
      }
      const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return MessageReader::Event::error;
      have_ = static_cast<size_t>(n);
      pos_ = 0;
      drained_ = false;
    }
  }

  uint16_t close_code() const { return close_code_; }
  const MessageReader& reader() const { return reader_; }

 private:
  int fd_;
  MessageReader reader_;
  std::vector<char> buf_;
  size_t pos_ = 0, have_ = 0;
  bool drained_ = true;
  uint16_t close_code_ = 0;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "FAIL %s\n", what.c_str());
  return 1;
}

int run_client(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail("connect");
  }
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  unsigned char encoded[32];
  const int n = EVP_EncodeBlock(encoded, raw, sizeof raw);
  const std::string key(reinterpret_cast<char*>(encoded), static_cast<size_t>(n));
  const std::string request = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " +
                              key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  iovec iov{const_cast<char*>(request.data()), request.size()};
  if (!write_all(fd, {&iov, 1})) return fail("send handshake");
  std::string rest;
  const std::optional<std::string> text = read_head(fd, rest);
  if (!text) return fail("no handshake response");
  const Head head = parse_head(*text);
  if (head.start_line.rfind("HTTP/1.1 101", 0) != 0) return fail("status: " + head.start_line);
  if (head.get("Sec-WebSocket-Accept") != accept_key(key)) return fail("bad Sec-WebSocket-Accept");
  if (!rest.empty()) return fail("bytes after the 101 head");

  Client client(fd);
  std::string payload;
  Opcode opcode{};
  int messages = 0;
  for (const Scripted& m : script()) {
    std::string whole;
    for (size_t i = 0; i < m.fragments.size(); ++i) {
      const bool last = i + 1 == m.fragments.size();
      if (!send_frame(fd, Role::client, i == 0 ? m.opcode : Opcode::continuation, last,
                      m.fragments[i])) {
        return fail("send");
      }
      whole += m.fragments[i];
      if (i == 0 && m.ping_after_first &&
          !send_frame(fd, Role::client, Opcode::ping, true, "mid")) {
        return fail("send ping");
      }
    }
    bool got_pong = !m.ping_after_first;
    for (;;) {
      const MessageReader::Event e = client.next(payload, opcode);
      if (e == MessageReader::Event::pong && payload == "mid") {
        got_pong = true;
        continue;
      }
      if (e != MessageReader::Event::message_end) {
        return fail("message " + std::to_string(messages) + ": event " +
                    std::to_string(static_cast<int>(e)) + " " + to_string(client.reader().error()));
      }
      break;
    }
    if (opcode != m.opcode || payload != whole) {
      return fail("echo mismatch in message " + std::to_string(messages));
    }
    if (!got_pong) return fail("no pong for the interleaved ping");
    ++messages;
  }
  if (!send_frame(fd, Role::client, Opcode::ping, true, "explicit")) return fail("send ping");
  if (client.next(payload, opcode) != MessageReader::Event::pong || payload != "explicit") {
    return fail("no pong");
  }
  if (!send_close(fd, Role::client, close_code::normal, "done")) return fail("send close");
  if (client.next(payload, opcode) != MessageReader::Event::close) return fail("no close reply");
  if (client.close_code() != close_code::normal) {
    return fail("close code " + std::to_string(client.close_code()));
  }
  // §7.1.1: the server closes TCP first; wait for its FIN.
  char c;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0 || ::read(fd, &c, 1) != 0) return fail("server did not close");
  ::close(fd);
  std::printf("OK %d\n", messages);
  return 0;
}

std::optional<uint64_t> parse_number(const char* s) {
  uint64_t v = 0;
  const char* end = s + std::strlen(s);
  const auto [p, ec] = std::from_chars(s, end, v);
  if (ec != std::errc{} || p != end) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  FrameLimits limits;
  bool exit_on_eof = false;
  std::optional<uint64_t> client_port;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--exit-on-stdin-eof") {
      exit_on_eof = true;
    } else if ((arg == "--max-message" || arg == "--client") && i + 1 < argc) {
      const std::optional<uint64_t> v = parse_number(argv[++i]);
      if (!v) {
        std::fprintf(stderr, "bad number: %s\n", argv[i]);
        return 2;
      }
      if (arg == "--client") {
        client_port = v;
      } else {
        limits.max_message_size = *v;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--max-message N] [--exit-on-stdin-eof] | --client PORT\n",
                   argv[0]);
      return 2;
    }
  }
  if (client_port) return run_client(static_cast<int>(*client_port));
  return run_server(limits, exit_on_eof);
}
