#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "anvil/core/unique_fd.hpp"

namespace anvil::core {

// A resolved peer address, copyable and small enough to hand to every worker thread.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  std::string to_string() const;  // "127.0.0.1:8080" or "[::1]:8080"
};

// Resolves host (name, IPv4 or IPv6 literal without brackets) and port once, at start-up.
// Throws std::runtime_error with getaddrinfo's message when the host does not resolve.
SocketAddress resolve(const std::string& host, uint16_t port);

// Starts a non-blocking TCP connect with TCP_NODELAY set. Returns the socket (connect in
// progress or done) or an invalid fd with `error` set to the errno of the failure.
UniqueFd start_connect(const SocketAddress& address, int& error) noexcept;

// Completes a non-blocking connect after EPOLLOUT: 0 when connected, else the socket error.
int finish_connect(int fd) noexcept;

// Binds and listens on host:port (port 0: the kernel picks). Non-blocking, SO_REUSEADDR,
// optionally SO_REUSEPORT. Throws std::system_error on failure.
UniqueFd listen_tcp(const SocketAddress& address, int backlog, bool reuse_port);

// The port a bound socket ended up on (for port 0 listeners).
uint16_t local_port(int fd);

}  // namespace anvil::core
