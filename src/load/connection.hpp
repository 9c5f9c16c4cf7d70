#pragma once

// Private to the load module: one client connection's state machine.

#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>

#include "anvil/core/event_loop.hpp"
#include "anvil/core/unique_fd.hpp"
#include "anvil/http/response_parser.hpp"
#include "anvil/load/request_set.hpp"
#include "anvil/load/stats.hpp"

namespace anvil::load {

class Worker;

inline constexpr int kMaxPipeline = kMaxPipelineDepth;

// A request written (or queued to be written) on this connection and not yet answered.
struct InFlight {
  int64_t intended_ns;  // latency origin: the schedule's time in rate mode, else the send time
  int64_t sent_ns;      // when it was queued for writing: the timeout origin
  bool is_head;
  bool counted;  // started inside the measured window
};

// connect -> (TLS handshake) -> open; requests are queued before connect completes and are
// written as soon as it does. A failure fails every request in flight, in one error class.
class Connection final : public core::IoHandler {
 public:
  enum class State : uint8_t { closed, connecting, handshaking, open };

  Connection(Worker& worker, uint32_t id);
  ~Connection();

  void on_io(uint32_t events) override;

  // Queues a request; connects first when closed. Returns false if the connection failed
  // (the failure is already accounted).
  bool submit(const PreparedRequest& request, int64_t intended_ns, int64_t now);
  void fail(ErrorClass error, int64_t now);
  void close() noexcept;

  State state() const noexcept { return state_; }
  uint32_t id() const noexcept { return id_; }
  int in_flight() const noexcept { return count_; }
  const InFlight& oldest() const noexcept { return ring_[head_]; }
  int64_t connect_started_ns() const noexcept { return connect_started_ns_; }
  // Rate mode: since when the connection has been free for a new request.
  int64_t available_since_ns() const noexcept { return available_since_ns_; }
  void set_available_since(int64_t ns) noexcept { available_since_ns_ = ns; }

 private:
  bool connect(int64_t now);
  void on_connected(int64_t now);
  bool handshake(int64_t now);
  void flush(int64_t now);
  void read_ready(int64_t now);
  void process(int64_t now);
  void complete_response(int64_t now);
  void handle_eof(int64_t now);
  void want_write(bool on) noexcept;
  void arm_parser() noexcept;

  Worker& worker_;
  uint32_t id_;
  State state_ = State::closed;
  core::UniqueFd fd_;
  SSL* ssl_ = nullptr;
  bool writing_ = false;  // EPOLLOUT registered
  int64_t connect_started_ns_ = 0;
  int64_t available_since_ns_ = 0;

  std::array<InFlight, kMaxPipeline> ring_{};
  int head_ = 0;
  int count_ = 0;
  bool parser_armed_ = false;

  // Requests not yet fully written, oldest first; the first may be partly written.
  std::array<const PreparedRequest*, kMaxPipeline> pending_{};
  int pending_head_ = 0;
  int pending_count_ = 0;
  size_t pending_offset_ = 0;

  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  http::ResponseParser parser_;
  int status_ = 0;
  bool response_keepalive_ = true;
};

}  // namespace anvil::load
