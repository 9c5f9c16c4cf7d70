#include "anvil/core/event_loop.hpp"

#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <system_error>

namespace anvil::core {

namespace {

constexpr size_t kMaxEventsPerWait = 256;

int wait_pwait2(int epfd, epoll_event* events, int max, int64_t timeout_ns) {
#ifdef SYS_epoll_pwait2
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    tsp = &ts;
  }
  return static_cast<int>(::syscall(SYS_epoll_pwait2, epfd, events, max, tsp, nullptr, 0));
#else
  (void)epfd, (void)events, (void)max, (void)timeout_ns;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), events_(kMaxEventsPerWait) {
  if (!epoll_fd_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

int EventLoop::add(int fd, uint32_t events, IoHandler* handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

int EventLoop::modify(int fd, uint32_t events, IoHandler* handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : errno;
}

int EventLoop::remove(int fd) noexcept {
  return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr) == 0 ? 0 : errno;
}

int EventLoop::run_once(int64_t timeout_ns) noexcept {
  const int max = static_cast<int>(events_.size());
  int n = -1;
  if (have_pwait2_) {
    n = wait_pwait2(epoll_fd_.get(), events_.data(), max, timeout_ns);
    if (n < 0 && errno == ENOSYS) have_pwait2_ = false;
  }
  if (!have_pwait2_) {
    // Round up so a short timeout never becomes a busy poll.
    int timeout_ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
    n = ::epoll_wait(epoll_fd_.get(), events_.data(), max, timeout_ms);
  }
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; ++i) {
    static_cast<IoHandler*>(events_[i].data.ptr)->on_io(events_[i].events);
  }
  return n;
}

}  // namespace anvil::core
