#include "anvil/load/worker.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include "anvil/core/clock.hpp"
#include "connection.hpp"

namespace anvil::load {

namespace {

// After a failed connect the connection waits this long before trying again, so a refusing
// server costs a bounded number of attempts per second instead of a spinning loop.
constexpr int64_t kReconnectBackoffNs = 10 * core::kNsPerMs;
// An inactive user (above the ramp's current level) checks again after this long.
constexpr int64_t kInactiveUserRecheckNs = 50 * core::kNsPerMs;
// A rate-mode request sent later than this after its intended time, while a connection was
// free, means the client itself fell behind.
constexpr int64_t kLateSendNs = 1 * core::kNsPerMs;

}  // namespace

Worker::Worker(const RunContext& context, const WorkerShare& share)
    : context_(context),
      options_(*context.options),
      share_(share),
      request_cursor_(static_cast<uint32_t>(share.index)),
      interval_(make_latency_histogram()),
      random_(0x9e3779b97f4a7c15ull * static_cast<uint64_t>(share.index + 1)) {
  const int count = options_.mode == Mode::users ? share.users : share.connections;
  connections_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    connections_.push_back(std::make_unique<Connection>(*this, static_cast<uint32_t>(i)));
  }
  if (options_.mode == Mode::rate) {
    schedule_.emplace(*context.profile, share.index, share.count);
    for (int i = count - 1; i >= 0; --i)
      unopened_.push_back(static_cast<uint32_t>(i));
  }
  sweep_interval_ns_ =
      std::clamp<int64_t>(options_.timeout_ns / 4, core::kNsPerMs, 100 * core::kNsPerMs);
}

Worker::~Worker() = default;

bool Worker::may_send() const noexcept {
  return !stopping_ && (!share_.requests || sent_ < *share_.requests);
}

void Worker::send(Connection& c, int64_t intended_ns, int64_t now) {
  const PreparedRequest& request = context_.requests->at(request_cursor_);
  request_cursor_ += static_cast<uint32_t>(share_.count);
  ++sent_;
  if (result_.first_send_ns < 0) result_.first_send_ns = now;
  c.submit(request, intended_ns, now);
}

void Worker::sleep_until(Connection& c, int64_t at_ns) {
  wakeups_.push_back({at_ns, c.id()});
  std::push_heap(wakeups_.begin(), wakeups_.end(), std::greater<>());
}

void Worker::start_all(int64_t now) {
  switch (options_.mode) {
    case Mode::closed:
      for (auto& c : connections_)
        on_ready(*c, now);
      break;
    case Mode::rate:
      dispatch_due(now);
      break;
    case Mode::users:
      // User u (global index) starts when the ramp's level first exceeds u; polling at wake-up
      // keeps stages and spawn rate in one rule.
      for (auto& c : connections_)
        sleep_until(*c, now);
      break;
  }
}

void Worker::on_ready(Connection& c, int64_t now) {
  switch (options_.mode) {
    case Mode::closed:
      // A closed connection (no keep-alive, or the server closed) reconnects for the next
      // request; requests queue behind the connect, so the pipeline fills at once.
      if (c.state() == Connection::State::closed && c.in_flight() == 0 && may_send()) {
        send(c, now, now);
      }
      while (options_.keepalive && c.in_flight() < options_.pipeline && may_send() &&
             c.state() != Connection::State::closed) {
        send(c, now, now);
      }
      break;
    case Mode::rate:
      c.set_available_since(now);
      if (c.state() == Connection::State::closed) {
        unopened_.push_back(c.id());
      } else {
        idle_.push_back(c.id());
      }
      dispatch_due(now);
      break;
    case Mode::users: {
      if (c.in_flight() > 0) break;
      const int64_t span = options_.think_max_ns - options_.think_min_ns;
      const int64_t think =
          options_.think_min_ns +
          (span > 0 ? static_cast<int64_t>(random_() % static_cast<uint64_t>(span + 1)) : 0);
      sleep_until(c, now + think);
      break;
    }
  }
}

void Worker::on_failed(Connection& c, int64_t now) {
  switch (options_.mode) {
    case Mode::closed:
      sleep_until(c, now + kReconnectBackoffNs);
      break;
    case Mode::rate:
      // The slot may connect again for a later request; back off so a refusing server is not
      // hammered by reconnects faster than the schedule.
      sleep_until(c, now + kReconnectBackoffNs);
      break;
    case Mode::users:
      on_ready(c, now);
      break;
  }
}

void Worker::on_wakeup(Connection& c, int64_t now) {
  switch (options_.mode) {
    case Mode::closed:
      if (c.state() == Connection::State::closed && c.in_flight() == 0) on_ready(c, now);
      break;
    case Mode::rate:
      if (c.state() == Connection::State::closed && c.in_flight() == 0) {
        c.set_available_since(now);
        unopened_.push_back(c.id());
        dispatch_due(now);
      }
      break;
    case Mode::users: {
      if (!may_send()) break;
      const int64_t t = now - context_.start_ns;
      const uint64_t global_user =
          static_cast<uint64_t>(share_.index) +
          static_cast<uint64_t>(c.id()) * static_cast<uint64_t>(share_.count);
      if (static_cast<double>(global_user) < context_.profile->level_at(t)) {
        send(c, now, now);
      } else {
        if (c.state() != Connection::State::closed) c.close();
        sleep_until(c, now + kInactiveUserRecheckNs);
      }
      break;
    }
  }
}

void Worker::dispatch_due(int64_t now) {
  while (may_send()) {
    const int64_t due_offset = schedule_->peek();
    const int64_t due = context_.start_ns + due_offset;
    if (due_offset < 0 || due >= context_.end_ns) {
      // The schedule is over. Requests that fell due before the end are still sent (they are
      // queued behind a stall, and their latency is part of the truth); nothing later is.
      schedule_done_ = true;
      return;
    }
    if (due > now) return;
    if (now - due > options_.timeout_ns) {
      // Queued longer than the timeout without a free connection: the user gave up.
      if (due >= context_.measure_start_ns) {
        ++result_.counters.requests;
        ++result_.counters.errors[static_cast<size_t>(ErrorClass::timeout)];
        ++result_.dropped_queued;
      }
      ++sent_;
      schedule_->advance();
      continue;
    }
    Connection* c = nullptr;
    while (!idle_.empty() && c == nullptr) {
      Connection* candidate = connections_[idle_.back()].get();
      idle_.pop_back();
      if (candidate->state() != Connection::State::closed && candidate->in_flight() == 0)
        c = candidate;
    }
    while (c == nullptr && !unopened_.empty()) {
      Connection* candidate = connections_[unopened_.back()].get();
      unopened_.pop_back();
      if (candidate->state() == Connection::State::closed && candidate->in_flight() == 0)
        c = candidate;
    }
    if (c == nullptr) {
      // Every connection is busy: the request waits, and its latency keeps counting from the
      // intended time, as a user's would.
      ++result_.queued_sends;
      return;
    }
    // Late by the client's own fault only if a connection was already free when the request
    // fell due; a request that waited for a connection is the server's queue, not ours.
    if (c->available_since_ns() <= due && now - due > kLateSendNs) ++result_.late_sends;
    schedule_->advance();
    send(*c, due, now);
  }
}

void Worker::sweep_timeouts(int64_t now) {
  for (auto& c : connections_) {
    if (c->state() == Connection::State::connecting ||
        c->state() == Connection::State::handshaking) {
      if (now - c->connect_started_ns() > options_.timeout_ns) c->fail(ErrorClass::connect, now);
    } else if (c->in_flight() > 0 && now - c->oldest().sent_ns > options_.timeout_ns) {
      c->fail(ErrorClass::timeout, now);
    }
  }
}

bool Worker::finished(int64_t now) const noexcept {
  if (context_.stop->load(std::memory_order_relaxed)) return true;
  if (share_.requests && sent_ >= *share_.requests && in_flight_ == 0) return true;
  if (now >= context_.end_ns) {
    // Open loop drains what fell due in the window (their latency is part of the truth);
    // closed loops stop at once, as wrk does.
    if (options_.mode != Mode::rate || (schedule_done_ && in_flight_ == 0)) return true;
    return now >= context_.end_ns + options_.timeout_ns;
  }
  if (options_.mode == Mode::rate && schedule_done_ && in_flight_ == 0) return true;
  return false;
}

int64_t Worker::next_deadline(int64_t now) const noexcept {
  int64_t next = std::min(next_sweep_ns_, context_.end_ns);
  if (!wakeups_.empty()) next = std::min(next, wakeups_.front().at_ns);
  if (schedule_ && may_send() && schedule_->peek() >= 0 && (!idle_.empty() || !unopened_.empty())) {
    next = std::min(next, context_.start_ns + schedule_->peek());
  }
  if (!options_.hlog_path.empty()) next = std::min(next, next_interval_ns_);
  return std::max<int64_t>(next - now, 0);
}

void Worker::rotate_interval(int64_t now) {
  while (now >= next_interval_ns_) {
    if (next_interval_ns_ > context_.measure_start_ns) {
      result_.intervals.push_back(interval_);
      interval_.reset();
    } else {
      interval_.reset();  // warm-up intervals are not logged
    }
    next_interval_ns_ += core::kNsPerSec;
  }
}

void Worker::run() {
  int64_t now = core::monotonic_ns();
  next_sweep_ns_ = now + sweep_interval_ns_;
  next_interval_ns_ = context_.measure_start_ns;
  start_all(now);
  while (true) {
    now = core::monotonic_ns();
    // Open loop stops by its schedule (dispatch_due); the others stop sending at the end.
    if (now >= context_.end_ns && options_.mode != Mode::rate) stopping_ = true;
    if (finished(now)) break;
    loop_.run_once(next_deadline(now));
    now = core::monotonic_ns();
    while (!wakeups_.empty() && wakeups_.front().at_ns <= now) {
      std::pop_heap(wakeups_.begin(), wakeups_.end(), std::greater<>());
      const uint32_t id = wakeups_.back().connection;
      wakeups_.pop_back();
      on_wakeup(*connections_[id], now);
    }
    if (schedule_) dispatch_due(now);
    if (now >= next_sweep_ns_) {
      sweep_timeouts(now);
      next_sweep_ns_ = now + sweep_interval_ns_;
    }
    if (!options_.hlog_path.empty() && now >= next_interval_ns_) rotate_interval(now);
    progress_requests.store(result_.counters.requests, std::memory_order_relaxed);
    progress_errors.store(result_.counters.failed(), std::memory_order_relaxed);
  }
  if (!options_.hlog_path.empty() && interval_.count() > 0) result_.intervals.push_back(interval_);
  for (auto& c : connections_)
    c->close();
}

}  // namespace anvil::load
