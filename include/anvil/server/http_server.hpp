#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
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
  // Threads for streamed requests (Dispatch::stream): at most this many stream at once, the
  // others wait their turn without being read. 0: no streaming.
  int stream_threads = 0;
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
  // Right after the head, on a stream thread with blocking I/O: the handler reads the body
  // and writes the response itself, in pieces (Handler::handle_stream).
  stream,
};

// A streamed request as its handler sees it. Used by one thread at a time; views into the
// head stay valid until handle_stream returns.
class StreamExchange {
 public:
  virtual ~StreamExchange() = default;
  virtual const http::RequestHead& head() const noexcept = 0;
  // The next decoded body bytes (Content-Length or chunked) into `buf`; 0 at the end of the
  // body. Throws std::runtime_error on a broken body (malformed, truncated, timed out).
  virtual size_t read_body(std::span<char> buf) = 0;
  // Sends the pieces in order (one writev when it fits); throws std::runtime_error when the
  // client is gone. The handler writes the whole response, head included.
  virtual void write(std::span<const std::string_view> pieces) = 0;
  // The response is incomplete (its body was cut off): close the connection after it.
  virtual void abort() noexcept = 0;
  // Whether the connection may carry another request after this response (else the handler
  // sends Connection: close).
  virtual bool keep_alive() const noexcept = 0;
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
  // Dispatch::stream requests. The default answers 501.
  virtual void handle_stream(StreamExchange& exchange);
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
  std::unique_ptr<WorkerPool> streams_;
  std::unique_ptr<SessionRegistry> sessions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace anvil::server
