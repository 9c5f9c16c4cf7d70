#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "anvil/core/socket.hpp"
#include "anvil/http/response_parser.hpp"
#include "anvil/lab/process_group.hpp"

// The lab's own small HTTP client for readiness probes and the verify step: one request per
// connection, a deadline on everything, anvil's response parser. Not a hot path.
namespace anvil::lab {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = remaining_ms(deadline);
    const int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r == 0 || (r < 0 && errno != EINTR)) return false;
  }
}

}  // namespace

HttpExchange http_exchange(const std::string& host, int port, const std::string& method,
                           const std::string& path, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           double timeout_s) {
  HttpExchange x;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  core::SocketAddress address;
  try {
    address = core::resolve(host, static_cast<uint16_t>(port));
  } catch (const std::exception& e) {
    x.error = e.what();
    return x;
  }
  int error = 0;
  core::UniqueFd fd = core::start_connect(address, error);
  if (!fd) {
    x.error = std::strerror(error);
    return x;
  }
  if (!wait_fd(fd.get(), POLLOUT, deadline)) {
    x.error = "timeout connecting";
    return x;
  }
  if (const int e = core::finish_connect(fd.get()); e != 0) {
    x.error = std::strerror(e);
    return x;
  }

  const std::string authority = host.find(':') != std::string::npos
                                    ? "[" + host + "]:" + std::to_string(port)
                                    : host + ":" + std::to_string(port);
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    has_length |= strcasecmp(name.c_str(), "content-length") == 0;
  }
  if (!has_length && (!body.empty() || method == "PUT" || method == "POST")) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_fd(fd.get(), POLLOUT, deadline)) {
        x.error = "timeout sending the request";
        return x;
      }
    } else {
      // The server may answer early (e.g. 413) and close: read what it said.
      break;
    }
  }

  http::ResponseParser parser;
  parser.start(method == "HEAD");
  std::string buffer;
  size_t offset = 0;  // parsed-and-consumed prefix of buffer
  char chunk[16384];
  bool eof = false;
  for (;;) {
    // Parse everything buffered before reading more.
    for (;;) {
      const std::string_view input(buffer.data() + offset, buffer.size() - offset);
      const http::ResponseParser::Step step = parser.next(input);
      if (step.event == http::ParseEvent::error) {
        x.error = std::string("bad response: ") + http::to_string(parser.error());
        return x;
      }
      if (step.event == http::ParseEvent::head) {
        x.status = parser.head().status;
      } else if (step.event == http::ParseEvent::body) {
        x.body.append(step.body);
      } else if (step.event == http::ParseEvent::complete) {
        x.body.append(step.body);
        x.ok = true;
        return x;
      }
      offset += step.consumed;
      if (step.event == http::ParseEvent::need_more) break;
    }
    if (eof) {
      const http::ResponseParser::Step step = parser.finish_eof();
      if (step.event == http::ParseEvent::complete) {
        x.body.append(step.body);
        x.ok = true;
      } else {
        x.error = x.status ? "connection closed before the response ended"
                           : "connection closed without a response";
      }
      return x;
    }
    if (!wait_fd(fd.get(), POLLIN, deadline)) {
      x.error = "timeout waiting for the response";
      return x;
    }
    const ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n > 0) {
      // The head's bytes stay in place until parsed; drop what the parser consumed.
      buffer.erase(0, offset);
      offset = 0;
      buffer.append(chunk, static_cast<size_t>(n));
      if (buffer.size() > (size_t{64} << 20)) {
        x.error = "response larger than 64 MiB";
        return x;
      }
    } else if (n == 0) {
      eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      x.error = std::strerror(errno);
      return x;
    }
  }
}

std::string wait_until_ready(ProcessGroup& process, const std::string& host, int port,
                             const std::string& method, const std::string& path, int expect_status,
                             double timeout_s) {
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  std::string last = "no answer";
  for (;;) {
    if (!process.running()) return process.describe_exit() + " before it was ready";
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    if (left <= 0) break;
    const HttpExchange x = http_exchange(host, port, method, path, "", {}, std::min(left, 2.0));
    if (x.ok && x.status == expect_status) return "";
    last = x.ok ? "status " + std::to_string(x.status) : x.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%g", timeout_s);
  return std::string("not ready after ") + seconds + " s: " + last;
}

int pick_free_port(const std::string& host) {
  const core::SocketAddress address = core::resolve(host, 0);
  core::UniqueFd fd = core::listen_tcp(address, 1, false);
  return core::local_port(fd.get());
}

}  // namespace anvil::lab
