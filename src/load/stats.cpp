#include "anvil/load/stats.hpp"

namespace anvil::load {

const char* to_string(ErrorClass error) noexcept {
  switch (error) {
    case ErrorClass::connect:
      return "connect";
    case ErrorClass::read:
      return "read";
    case ErrorClass::write:
      return "write";
    case ErrorClass::timeout:
      return "timeout";
    case ErrorClass::reset:
      return "reset";
    case ErrorClass::parse:
      return "parse";
  }
  return "unknown";
}

uint64_t Counters::failed() const noexcept {
  uint64_t total = 0;
  for (uint64_t n : errors)
    total += n;
  return total;
}

uint64_t Counters::status_range(int first, int last) const noexcept {
  uint64_t total = 0;
  for (int code = first; code <= last && code < static_cast<int>(status.size()); ++code) {
    total += status[static_cast<size_t>(code)];
  }
  return total;
}

void Counters::merge(const Counters& other) noexcept {
  requests += other.requests;
  responses += other.responses;
  successes += other.successes;
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  connects += other.connects;
  for (size_t i = 0; i < errors.size(); ++i)
    errors[i] += other.errors[i];
  for (size_t i = 0; i < status.size(); ++i)
    status[i] += other.status[i];
}

}  // namespace anvil::load
