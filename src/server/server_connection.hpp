#pragma once

// Private to the server module: one accepted connection's state machine.

#include <cstdint>
#include <memory>
#include <string>

#include "anvil/core/event_loop.hpp"
#include "anvil/core/unique_fd.hpp"
#include "anvil/http/request_parser.hpp"
#include "anvil/server/http_server.hpp"

namespace anvil::server {

class ServerLoop;

// read -> parse head -> (100 Continue) -> body -> handler (inline, or a worker while this
// connection stops reading) -> response appended to the output -> next pipelined request.
// Responses of a pipelined burst go out in one write.
//
// A streamed request (Dispatch::stream) leaves the loop right after its head: the connection
// turns blocking and a stream thread runs the handler, which reads the body through this
// connection's parser and buffer and writes straight to the socket; then the loop takes the
// connection back for the next request, or closes it.
class ServerConnection final : public core::IoHandler, public StreamExchange {
 public:
  ServerConnection(ServerLoop& loop, core::UniqueFd fd, int64_t now);
  ~ServerConnection();

  void on_io(uint32_t events) override;
  // A worker finished this connection's request (called on the loop's thread).
  void on_worker_done(int64_t now);
  // Called by a worker thread: runs the handler for the request waiting on this connection.
  void run_handler() noexcept;

  // Timeouts and graceful shutdown; returns false when the connection closed.
  bool check_timeouts(int64_t now);
  bool begin_shutdown();
  // Past the shutdown grace period: a stream still running gets its socket shut down, so its
  // blocking reads and writes fail and its thread ends.
  void cut_off() noexcept;
  bool closed() const noexcept { return !fd_; }

  // StreamExchange, used by the stream thread while the connection is busy.
  const http::RequestHead& head() const noexcept override { return parser_.head(); }
  size_t read_body(std::span<char> buf) override;
  void write(std::span<const std::string_view> pieces) override;
  void abort() noexcept override { stream_failed_ = true; }
  bool keep_alive() const noexcept override;
  int fd() const noexcept { return fd_.get(); }

 private:
  enum class Phase : uint8_t { idle, head, body, busy };

  void read_ready(int64_t now);
  void start_stream(int64_t now);
  void run_stream() noexcept;
  void finish_stream(int64_t now);
  void process(int64_t now);
  void on_head(int64_t now);
  void finish_request(int64_t now);
  void append_response(const http::RequestHead& head);
  void reject(int status, int64_t now);
  void flush();
  void set_interest(bool write) noexcept;
  void close() noexcept;
  bool make_room();
  bool output_drained() const noexcept { return out_.empty() && big_body_.empty(); }

  ServerLoop& loop_;
  core::UniqueFd fd_;
  bool want_write_ = false;
  bool close_after_write_ = false;
  Phase phase_ = Phase::idle;
  int64_t phase_started_ns_;
  int64_t last_progress_ns_;

  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t anchor_ = 0;  // compaction may not move bytes below this (the current head's bytes)

  http::RequestParser parser_;
  bool body_pieces_ = false;  // the body came in pieces: body_ holds the joined copy
  std::string_view body_view_;
  std::string body_;
  Response response_;
  std::string out_;  // response heads and small bodies, in order
  size_t out_offset_ = 0;
  std::string big_body_;  // a large body that follows out_ (nothing is queued after it)
  size_t big_offset_ = 0;

  bool streaming_ = false;      // a stream thread holds this request
  bool stream_failed_ = false;  // the streamed response or body broke: close afterwards
  bool stream_body_done_ = false;
  std::string_view stream_pending_;  // decoded body bytes not yet handed out
};

}  // namespace anvil::server
