#pragma once

// Test memory whose end touches an unreadable page, so a parser that reads one byte past its
// input crashes the test instead of passing by luck.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace anvil::http::test {

// Readable memory that ends exactly at an unreadable page.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t capacity) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_ = (capacity + page - 1) / page * page;
    void* p =
        ::mmap(nullptr, size_ + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<char*>(p);
    if (::mprotect(base_ + size_, page, PROT_NONE) != 0) throw std::runtime_error("mprotect");
    page_ = page;
  }
  ~GuardedBuffer() { ::munmap(base_, size_ + page_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  // Copies `bytes` so that they end at the guard page; returns the view of the copy.
  std::string_view place(std::string_view bytes) {
    if (bytes.size() > size_) throw std::runtime_error("GuardedBuffer too small");
    char* start = base_ + size_ - bytes.size();
    if (!bytes.empty()) std::memmove(start, bytes.data(), bytes.size());
    return {start, bytes.size()};
  }

 private:
  char* base_ = nullptr;
  size_t size_ = 0;
  size_t page_ = 0;
};

}  // namespace anvil::http::test
