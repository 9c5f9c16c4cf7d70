#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "anvil/core/event_loop.hpp"
#include "anvil/core/socket.hpp"
#include "anvil/load/options.hpp"
#include "anvil/load/request_set.hpp"
#include "anvil/load/schedule.hpp"
#include "anvil/load/stats.hpp"
#include "anvil/load/tls_client.hpp"

namespace anvil::load {

class Connection;

// What every worker of one run shares, read-only while the run goes.
struct RunContext {
  const LoadOptions* options = nullptr;
  const RequestSet* requests = nullptr;
  core::SocketAddress address;
  const TlsClient* tls = nullptr;           // null for http://
  const LoadProfile* profile = nullptr;     // rate: requests/s; users: active users
  int64_t start_ns = 0;                     // the run's origin (warm-up starts here)
  int64_t measure_start_ns = 0;             // requests started before this are not counted
  int64_t end_ns = 0;                       // INT64_MAX when only a request count bounds the run
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT: finish now
};

// This worker's share of the run.
struct WorkerShare {
  int index = 0;  // 0..count-1
  int count = 1;
  int connections = 0;               // closed and rate modes
  int users = 0;                     // users mode: global users index, index+count, ...
  std::optional<uint64_t> requests;  // exact number of requests to send, if bounded
};

// One thread's load loop: its own event loop, connections, counters and histograms; nothing
// is shared with other workers while it runs (results are merged afterwards).
class Worker {
 public:
  Worker(const RunContext& context, const WorkerShare& share);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run();
  WorkerResult& result() noexcept { return result_; }

  // Published once per loop iteration for the live progress line (relaxed: a display only).
  std::atomic<uint64_t> progress_requests{0};
  std::atomic<uint64_t> progress_errors{0};

 private:
  friend class Connection;

  struct Wakeup {
    int64_t at_ns;
    uint32_t connection;
    bool operator>(const Wakeup& other) const noexcept { return at_ns > other.at_ns; }
  };

  // Mode drivers.
  void start_all(int64_t now);
  void on_ready(Connection& c, int64_t now);   // a connection can take more requests
  void on_failed(Connection& c, int64_t now);  // a connection closed after a failure
  void on_wakeup(Connection& c, int64_t now);
  void dispatch_due(int64_t now);
  bool may_send() const noexcept;
  void send(Connection& c, int64_t intended_ns, int64_t now);
  void sleep_until(Connection& c, int64_t at_ns);
  void sweep_timeouts(int64_t now);
  bool finished(int64_t now) const noexcept;
  int64_t next_deadline(int64_t now) const noexcept;
  void rotate_interval(int64_t now);

  const RunContext& context_;
  const LoadOptions& options_;
  WorkerShare share_;
  core::EventLoop loop_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<uint32_t> idle_;      // rate mode: open connections with nothing in flight
  std::vector<uint32_t> unopened_;  // rate mode: closed connections that may connect
  std::vector<Wakeup> wakeups_;     // min-heap: think time, reconnect back-off
  std::optional<RateSchedule> schedule_;
  uint32_t request_cursor_;
  uint64_t sent_ = 0;
  uint64_t in_flight_ = 0;
  bool stopping_ = false;       // closed and users modes: no new request
  bool schedule_done_ = false;  // rate mode: nothing more falls due in the window
  int64_t next_sweep_ns_ = 0;
  int64_t sweep_interval_ns_ = 0;
  int64_t next_interval_ns_ = 0;
  metrics::Histogram interval_;
  std::mt19937_64 random_;
  WorkerResult result_;
};

}  // namespace anvil::load
