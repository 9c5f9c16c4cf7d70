#include "anvil/core/socket.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace anvil::core {

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    char out[INET6_ADDRSTRLEN + 16];
    std::snprintf(out, sizeof out, "[%s]:%u", text, unsigned{ntohs(a->sin6_port)});
    return out;
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
  ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
  char out[INET6_ADDRSTRLEN + 16];
  std::snprintf(out, sizeof out, "%s:%u", text, unsigned{ntohs(a->sin_port)});
  return out;
}

SocketAddress resolve(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  if (rc == EAI_BADFLAGS || (rc != 0 && host.find(':') != std::string::npos)) {
    // AI_ADDRCONFIG hides ::1 on hosts whose only IPv6 address is loopback.
    hints.ai_flags = AI_NUMERICSERV;
    rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  }
  if (rc != 0 || result == nullptr) {
    throw std::runtime_error("cannot resolve host '" + host + "': " + ::gai_strerror(rc));
  }
  SocketAddress address;
  std::memcpy(&address.storage, result->ai_addr, result->ai_addrlen);
  address.length = result->ai_addrlen;
  ::freeaddrinfo(result);
  return address;
}

UniqueFd start_connect(const SocketAddress& address, int& error) noexcept {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    error = errno;
    return fd;
  }
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), address.get(), address.length) != 0 && errno != EINPROGRESS) {
    error = errno;
    return UniqueFd();
  }
  error = 0;
  return fd;
}

int finish_connect(int fd) noexcept {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

UniqueFd listen_tcp(const SocketAddress& address, int backlog, bool reuse_port) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd.get(), address.get(), address.length) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + address.to_string());
  }
  if (::listen(fd.get(), backlog) != 0) {
    throw std::system_error(errno, std::generic_category(), "listen");
  }
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

}  // namespace anvil::core
