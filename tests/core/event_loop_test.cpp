#include "anvil/core/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "anvil/core/clock.hpp"
#include "anvil/core/socket.hpp"

namespace anvil::core {
namespace {

struct CountingHandler final : IoHandler {
  int calls = 0;
  uint32_t last = 0;
  void on_io(uint32_t events) override {
    ++calls;
    last = events;
  }
};

TEST(EventLoop, DispatchesReadinessToTheRegisteredHandler) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  EventLoop loop;
  CountingHandler handler;
  ASSERT_EQ(loop.add(a.get(), EPOLLIN, &handler), 0);
  EXPECT_EQ(loop.run_once(0), 0);
  EXPECT_EQ(handler.calls, 0);
  ASSERT_EQ(::write(b.get(), "x", 1), 1);
  EXPECT_EQ(loop.run_once(1'000'000'000), 1);
  EXPECT_EQ(handler.calls, 1);
  EXPECT_TRUE(handler.last & EPOLLIN);
  ASSERT_EQ(loop.remove(a.get()), 0);
  EXPECT_NE(loop.remove(a.get()), 0);  // already gone: an errno, not a crash
}

TEST(EventLoop, TimeoutIsHonouredBelowOneMillisecond) {
  EventLoop loop;
  const int64_t start = monotonic_ns();
  EXPECT_EQ(loop.run_once(200'000), 0);
  const int64_t waited = monotonic_ns() - start;
  EXPECT_GE(waited, 200'000);
  EXPECT_LT(waited, 500'000'000);  // generous: a shared CI machine
}

TEST(Socket, ListenConnectAndResolve) {
  SocketAddress any = resolve("127.0.0.1", 0);
  UniqueFd listener = listen_tcp(any, 16, false);
  const uint16_t port = local_port(listener.get());
  ASSERT_NE(port, 0);
  SocketAddress target = resolve("127.0.0.1", port);
  EXPECT_EQ(target.to_string(), "127.0.0.1:" + std::to_string(port));
  int error = -1;
  UniqueFd client = start_connect(target, error);
  ASSERT_TRUE(client.valid());
  EXPECT_EQ(error, 0);
  EventLoop loop;
  CountingHandler handler;
  ASSERT_EQ(loop.add(client.get(), EPOLLOUT, &handler), 0);
  loop.run_once(1'000'000'000);
  EXPECT_EQ(finish_connect(client.get()), 0);
}

TEST(Socket, RefusedConnectIsAnErrorValue) {
  SocketAddress any = resolve("127.0.0.1", 0);
  uint16_t port;
  {
    UniqueFd listener = listen_tcp(any, 1, false);
    port = local_port(listener.get());
  }
  int error = 0;
  UniqueFd client = start_connect(resolve("127.0.0.1", port), error);
  if (client.valid()) {
    EventLoop loop;
    CountingHandler handler;
    loop.add(client.get(), EPOLLOUT, &handler);
    loop.run_once(1'000'000'000);
    error = finish_connect(client.get());
  }
  EXPECT_EQ(error, ECONNREFUSED);
}

TEST(Socket, ResolveFailsClearly) {
  EXPECT_THROW(resolve("no-such-host.invalid", 80), std::runtime_error);
  EXPECT_EQ(resolve("::1", 8080).to_string(), "[::1]:8080");
}

}  // namespace
}  // namespace anvil::core
