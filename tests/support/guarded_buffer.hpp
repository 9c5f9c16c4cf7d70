#pragma once

// Test memory whose end touches an unreadable page, so a parser that reads one byte past its
// input crashes the test instead of passing by luck (picohttpparser's trick).

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

namespace anvil::test {

// Readable, writable memory that ends exactly at an unreadable page.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t capacity) {
    page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_ = (capacity + page_ - 1) / page_ * page_;
    if (size_ == 0) size_ = page_;
    void* p =
        ::mmap(nullptr, size_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<char*>(p);
    if (::mprotect(base_ + size_, page_, PROT_NONE) != 0) throw std::runtime_error("mprotect");
  }
  ~GuardedBuffer() { ::munmap(base_, size_ + page_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  // Copies `bytes` so that they end at the guard page; returns the (mutable) copy.
  std::span<char> place(std::string_view bytes) {
    if (bytes.size() > size_) throw std::runtime_error("GuardedBuffer too small");
    char* start = base_ + size_ - bytes.size();
    if (!bytes.empty()) std::memmove(start, bytes.data(), bytes.size());
    return {start, bytes.size()};
  }
  // The same, as a read-only view.
  std::string_view place_view(std::string_view bytes) {
    const std::span<char> copy = place(bytes);
    return {copy.data(), copy.size()};
  }

 private:
  char* base_ = nullptr;
  size_t size_ = 0;
  size_t page_ = 0;
};

}  // namespace anvil::test
