#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "anvil/core/unique_fd.hpp"
#include "anvil/http/request_parser.hpp"

namespace anvil::server {

class ServerLoop;
class WorkerPool;
class SessionRegistry;

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8000;  // 0: the kernel picks (see HttpServer::port())
  int threads = 1;       // event-loop threads, each with its own SO_REUSEPORT listener
  int workers = 0;       // threads for requests the handler sends off the event loop
  int max_connections = 10'000;
  http::RequestLimits limits;
  int64_t header_timeout_ns = 10'000'000'000;  // first byte of a request to its whole head
  int64_t idle_timeout_ns = 75'000'000'000;    // keep-alive connection with nothing to do
  int64_t body_timeout_ns = 60'000'000'000;    // no body byte for this long: 408 and close
  int64_t shutdown_grace_ns = 30'000'000'000;  // SIGTERM: in-flight requests get this long
};

// A response the handler fills. Owned by the connection and reused across requests: a
// handler appends into `body` (its capacity stays), so steady-state requests do not allocate.
struct Response {
  int status = 200;
  std::string_view content_type = "text/plain";
  // Extra header lines, each "Name: value\r\n", already validated by the handler.
  std::string extra_headers;
  std::string body;
  bool close = false;  // close the connection after this response

  void reset() noexcept {
    status = 200;
    content_type = "text/plain";
    extra_headers.clear();
    body.clear();
    close = false;
  }
};

// What the handler sees of one request. Views are valid until the response is sent.
struct Request {
  const http::RequestHead& head;
  std::string_view body;  // the whole body, decoded (chunked bodies arrive joined)
};

// Where a request is handled, decided from its head alone.
enum class Dispatch : uint8_t {
  inline_,  // on the event-loop thread, as soon as the body is complete: cheap handlers only
  worker,   // on a worker thread (blocking work: files, upstream calls, heavy transforms)
};

// A connection that left HTTP (a WebSocket): it runs on a thread of its own with blocking
// I/O until it ends, so a long-lived session never holds an event loop or a worker.
class UpgradedSession {
 public:
  virtual ~UpgradedSession() = default;
  // `fd` is the blocking socket, owned and closed by the server after run() returns;
  // `pending` holds bytes the client sent after its upgrade request. On server shutdown the
  // socket is shut down, so blocking reads return and run() must end.
  virtual void run(int fd, std::string pending) = 0;
};

// One virtual call per request; implementations must be thread-safe (several event-loop and
// worker threads call them at once) and must not throw (an exception is answered 500).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Dispatch dispatch(const http::RequestHead& head) const noexcept = 0;
  virtual void handle(const Request& request, Response& response) = 0;
  // A request asking to upgrade (Upgrade: websocket). Return a session to take the connection
  // over (it writes its own 101), or fill `response` (404, 400, 426...) and return nullptr.
  virtual std::unique_ptr<UpgradedSession> upgrade(const http::RequestHead& head,
                                                   Response& response) {
    (void)head;
    response.status = 404;
    response.body = "no upgrade here";
    response.close = true;
    return nullptr;
  }
};

// An HTTP/1.1 server: keep-alive, pipelining (answered in order), chunked request bodies,
// Expect: 100-continue, HEAD, strict parsing with 400/413/414/431 answers, header/idle/body
// timeouts (slowloris), a connection cap, and graceful shutdown.
class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listener (throws std::system_error with the address on failure) and starts
  // the threads. After it returns, port() is the bound port.
  void start();
  uint16_t port() const noexcept { return port_; }

  // Stops accepting, lets in-flight requests finish (up to shutdown_grace_ns), then returns.
  // Safe to call from a signal-watching thread; idempotent.
  void shutdown();
  // Blocks until shutdown() has completed.
  void wait();

 private:
  ServerOptions options_;
  Handler& handler_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<ServerLoop>> loops_;
  std::vector<std::thread> threads_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<SessionRegistry> sessions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace anvil::server
