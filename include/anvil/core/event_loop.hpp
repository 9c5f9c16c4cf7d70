#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include "anvil/core/unique_fd.hpp"

namespace anvil::core {

// Receives readiness events for one registered file descriptor. One virtual call per event;
// the handler owns its fd and must unregister it (remove()) before closing it.
class IoHandler {
 public:
  virtual void on_io(uint32_t epoll_events) = 0;

 protected:
  ~IoHandler() = default;
};

// One epoll instance, owned and driven by exactly one thread (shared-nothing: no locks, no
// atomics). Level-triggered: a handler asks for EPOLLOUT only while it has bytes to write.
class EventLoop {
 public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Errors from epoll_ctl are returned as errno values (0 on success); they mean a bug or
  // resource exhaustion, and the caller decides whether the connection or the run fails.
  int add(int fd, uint32_t events, IoHandler* handler) noexcept;
  int modify(int fd, uint32_t events, IoHandler* handler) noexcept;
  int remove(int fd) noexcept;

  // Waits at most `timeout_ns` (negative: forever, 0: poll) and dispatches ready handlers.
  // Uses epoll_pwait2 for nanosecond timeouts where the kernel has it, so constant-rate sends
  // are not quantized to milliseconds. Returns the number of events dispatched, or -errno.
  int run_once(int64_t timeout_ns) noexcept;

 private:
  UniqueFd epoll_fd_;
  std::vector<epoll_event> events_;
  bool have_pwait2_ = true;
};

}  // namespace anvil::core
