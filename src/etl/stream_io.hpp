#pragma once

// Private to the etl module: the readers and writers a streaming transform is handed.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "anvil/etl/etl_server.hpp"
#include "anvil/server/http_server.hpp"

namespace anvil::etl {

// Bytes already in memory (the WebSocket route, a buffered hpull).
class MemoryReader final : public ObjectReader {
 public:
  explicit MemoryReader(std::string_view data) : rest_(data) {}
  size_t read(std::span<char> buf) override {
    const size_t n = std::min(buf.size(), rest_.size());
    if (n == 0) return 0;  // an empty view may have no data pointer at all
    std::memcpy(buf.data(), rest_.data(), n);
    rest_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view rest_;
};

// A file descriptor read in pieces (an FQN). Does not own the descriptor.
class FileReader final : public ObjectReader {
 public:
  FileReader(int fd, std::string_view name) : fd_(fd), name_(name) {}
  size_t read(std::span<char> buf) override {
    for (;;) {
      const ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR)
        throw std::runtime_error("cannot read FQN " + std::string(name_) + ": " +
                                 std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string_view name_;
};

// The request body, as it comes off the socket.
class BodyReader final : public ObjectReader {
 public:
  explicit BodyReader(server::StreamExchange& exchange) : exchange_(exchange) {}
  size_t read(std::span<char> buf) override { return exchange_.read_body(buf); }

 private:
  server::StreamExchange& exchange_;
};

// Collects the output in a string (the WebSocket route).
class StringWriter final : public ObjectWriter {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(std::string_view chunk) override { out_.append(chunk); }

 private:
  std::string& out_;
};

}  // namespace anvil::etl
