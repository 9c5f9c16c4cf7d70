#pragma once

// Private to the server module: one event-loop thread with its own listener.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "anvil/core/event_loop.hpp"
#include "anvil/core/unique_fd.hpp"
#include "anvil/server/http_server.hpp"

namespace anvil::server {

class ServerConnection;
class WorkerPool;

// Threads of upgraded connections: started on request, shut down and joined with the server.
class SessionRegistry {
 public:
  ~SessionRegistry();
  void start(std::unique_ptr<UpgradedSession> session, core::UniqueFd fd, std::string pending);
  // Shuts every session's socket down (their blocking reads return) and joins them.
  void stop_all();

 private:
  struct Entry {
    std::thread thread;
    int fd;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mutex_;
  std::vector<Entry> entries_;
  bool stopped_ = false;
};

class ServerLoop final : public core::IoHandler {
 public:
  ServerLoop(const ServerOptions& options, Handler& handler, WorkerPool* pool, WorkerPool* streams,
             SessionRegistry* sessions, core::UniqueFd listener);
  ~ServerLoop();

  void run(const std::atomic<bool>& stopping);
  void wake() noexcept;              // from any thread
  void retire(ServerConnection* c);  // c closed itself; delete it after this batch
  // A worker finished `c`'s request; from the worker thread.
  void post_done(ServerConnection* c);

  void on_io(uint32_t events) override;  // the listener, or the wake-up eventfd

  core::EventLoop& events() noexcept { return loop_; }
  const ServerOptions& options() const noexcept { return options_; }
  Handler& handler() noexcept { return handler_; }
  WorkerPool* pool() noexcept { return pool_; }
  WorkerPool* streams() noexcept { return streams_; }
  SessionRegistry* sessions() noexcept { return sessions_; }

 private:
  void accept_all(int64_t now);
  void drain_done(int64_t now);
  void sweep(int64_t now);

  class WakeHandler;
  const ServerOptions& options_;
  Handler& handler_;
  WorkerPool* pool_;
  WorkerPool* streams_;
  SessionRegistry* sessions_;
  core::EventLoop loop_;
  core::UniqueFd listener_;
  core::UniqueFd wake_fd_;
  std::unique_ptr<WakeHandler> wake_handler_;
  // Owned; a connection that closes during a batch of events is deleted after the batch, so
  // a stale event for it in the same batch still finds a live object.
  std::unordered_set<ServerConnection*> connections_;
  std::vector<ServerConnection*> graveyard_;
  std::mutex done_mutex_;
  std::vector<ServerConnection*> done_;
  std::vector<ServerConnection*> done_swap_;
  bool shutting_down_ = false;
};

// Runs handlers off the event loops (one pool for workers, one for streams). A bounded set of
// threads and one FIFO: requests that block (files, upstream calls) or burn CPU never stall another
// connection's I/O.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  void submit(ServerConnection* c, ServerLoop* loop);
  void stop();

 private:
  struct Task {
    ServerConnection* connection;
    ServerLoop* loop;
  };
  void run();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Task> queue_;  // FIFO via head index; cleared when drained
  size_t head_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace anvil::server
