#include "server_loop.hpp"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "anvil/core/clock.hpp"
#include "server_connection.hpp"

namespace anvil::server {

namespace {
constexpr int64_t kSweepIntervalNs = 250 * core::kNsPerMs;
}

class ServerLoop::WakeHandler final : public core::IoHandler {
 public:
  explicit WakeHandler(ServerLoop& loop) : loop_(loop) {}
  void on_io(uint32_t) override {
    uint64_t value;
    while (::read(loop_.wake_fd_.get(), &value, sizeof value) > 0) {
    }
    loop_.drain_done(core::monotonic_ns());
  }

 private:
  ServerLoop& loop_;
};

ServerLoop::ServerLoop(const ServerOptions& options, Handler& handler, WorkerPool* pool,
                       WorkerPool* streams, SessionRegistry* sessions, core::UniqueFd listener)
    : options_(options),
      handler_(handler),
      pool_(pool),
      streams_(streams),
      sessions_(sessions),
      listener_(std::move(listener)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      wake_handler_(std::make_unique<WakeHandler>(*this)) {
  loop_.add(listener_.get(), EPOLLIN, this);
  loop_.add(wake_fd_.get(), EPOLLIN, wake_handler_.get());
}

ServerLoop::~ServerLoop() {
  for (ServerConnection* c : connections_)
    delete c;
  for (ServerConnection* c : graveyard_)
    delete c;
}

void ServerLoop::wake() noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

void ServerLoop::post_done(ServerConnection* c) {
  {
    std::lock_guard lock(done_mutex_);
    done_.push_back(c);
  }
  wake();
}

void ServerLoop::retire(ServerConnection* c) {
  if (connections_.erase(c) > 0) graveyard_.push_back(c);
}

void ServerLoop::drain_done(int64_t now) {
  {
    std::lock_guard lock(done_mutex_);
    done_swap_.swap(done_);
  }
  for (ServerConnection* c : done_swap_)
    c->on_worker_done(now);
  done_swap_.clear();
}

void ServerLoop::on_io(uint32_t) {
  accept_all(core::monotonic_ns());
}

void ServerLoop::accept_all(int64_t now) {
  for (;;) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // EMFILE/ENFILE: the descriptor table is full; the connection stays in the backlog and
      // the sweep retries, rather than spinning on a level-triggered listener.
      if (errno == EMFILE || errno == ENFILE) loop_.modify(listener_.get(), 0, this);
      return;
    }
    core::UniqueFd owned(fd);
    if (shutting_down_ || static_cast<int>(connections_.size()) >= options_.max_connections) {
      continue;  // closed at once: over the cap, or draining
    }
    auto* c = new ServerConnection(*this, std::move(owned), now);
    if (c->closed()) {
      delete c;
      continue;
    }
    connections_.insert(c);
  }
}

void ServerLoop::sweep(int64_t now) {
  std::vector<ServerConnection*> expired;
  for (ServerConnection* c : connections_) {
    if (!c->check_timeouts(now)) expired.push_back(c);
  }
  for (ServerConnection* c : expired)
    retire(c);
  if (!shutting_down_) loop_.modify(listener_.get(), EPOLLIN, this);
}

void ServerLoop::run(const std::atomic<bool>& stopping) {
  int64_t next_sweep = core::monotonic_ns() + kSweepIntervalNs;
  int64_t deadline = -1;
  for (;;) {
    const int64_t now = core::monotonic_ns();
    if (stopping.load(std::memory_order_relaxed) && !shutting_down_) {
      // Graceful: no new connections; idle ones close now, busy ones after their response.
      shutting_down_ = true;
      loop_.remove(listener_.get());
      listener_.reset();
      deadline = now + options_.shutdown_grace_ns;
      std::vector<ServerConnection*> idle;
      for (ServerConnection* c : connections_) {
        if (!c->begin_shutdown()) idle.push_back(c);
      }
      for (ServerConnection* c : idle)
        retire(c);
    }
    if (shutting_down_ && (connections_.empty() || now >= deadline)) break;
    loop_.run_once(std::max<int64_t>(next_sweep - now, 0));
    for (ServerConnection* c : graveyard_)
      delete c;
    graveyard_.clear();
    const int64_t after = core::monotonic_ns();
    if (after >= next_sweep) {
      sweep(after);
      next_sweep = after + kSweepIntervalNs;
    }
  }
  // Past the grace period: whatever is left is cut off. Workers still holding a connection
  // finish before the pool stops, so the loop waits for them first; streams, which could go
  // on for as long as their client reads, are made to end.
  for (ServerConnection* c : connections_)
    c->cut_off();
}

SessionRegistry::~SessionRegistry() {
  stop_all();
}

void SessionRegistry::start(std::unique_ptr<UpgradedSession> session, core::UniqueFd fd,
                            std::string pending) {
  std::lock_guard lock(mutex_);
  if (stopped_) return;  // the fd closes here: the server is going away
  // Reap sessions that ended, so a long-running server does not accumulate threads.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  const int raw_fd = fd.get();
  entries_.push_back({std::thread([this, s = std::move(session), f = std::move(fd),
                                   p = std::move(pending), done]() mutable {
                        s->run(f.get(), std::move(p));
                        // Closed under the lock after `done`: stop_all() never shuts down a
                        // descriptor number that a later connection reused.
                        std::lock_guard closing(mutex_);
                        done->store(true);
                        f.reset();
                      }),
                      raw_fd, done});
}

void SessionRegistry::stop_all() {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (auto& e : entries_) {
      if (!e.done->load()) ::shutdown(e.fd, SHUT_RDWR);
    }
    entries.swap(entries_);
  }
  for (auto& e : entries)
    e.thread.join();
}

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::submit(ServerConnection* c, ServerLoop* loop) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({c, loop});
  }
  ready_.notify_one();
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void WorkerPool::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || head_ < queue_.size(); });
      if (head_ == queue_.size()) return;  // stopping and drained
      task = queue_[head_++];
      if (head_ == queue_.size()) {
        queue_.clear();
        head_ = 0;
      }
    }
    task.connection->run_handler();
    task.loop->post_done(task.connection);
  }
}

}  // namespace anvil::server
