#pragma once

// Test driver for ResponseParser: plays the role of the load generator's connection (a buffer
// of unconsumed bytes, appended to on every read), records what the parser reports and checks
// the step invariants. Inputs can be placed right before a PROT_NONE page so any read past the
// end of the input crashes the test.

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/http/response_parser.hpp"

namespace anvil::http::test {

struct Response {
  int status = 0;
  int minor_version = 1;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  BodyFraming framing = BodyFraming::none;
  bool keep_alive = false;
  bool framing_conflict = false;
  uint32_t interim = 0;
  bool operator==(const Response&) const = default;
};

struct Outcome {
  std::vector<Response> responses;
  ParseError error = ParseError::none;
  bool operator==(const Outcome&) const = default;
};

inline void PrintTo(const Response& r, std::ostream* os) {
  *os << "{" << r.status << " framing=" << to_string(r.framing) << " ka=" << r.keep_alive
      << " headers=" << r.headers.size() << " body=" << r.body.size() << "B}";
}
inline void PrintTo(const Outcome& o, std::ostream* os) {
  *os << "{responses=" << o.responses.size() << " error=" << to_string(o.error) << "}";
}

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

// Feeds `pieces` in order as successive reads of one connection; head_requests[i] says
// whether the i-th response answers a HEAD (missing entries: false). eof: the peer closes
// after the last piece.
inline Outcome drive(const std::vector<std::string_view>& pieces,
                     const std::vector<bool>& head_requests, bool eof,
                     GuardedBuffer* guard = nullptr, const ParserLimits& limits = {}) {
  ResponseParser parser(limits);
  Outcome out;
  size_t index = 0;
  auto is_head = [&] { return index < head_requests.size() && head_requests[index]; };
  parser.start(is_head());
  std::string pending;
  Response current;
  auto run = [&]() -> bool {  // false: stop (error)
    for (;;) {
      const std::string_view input = guard != nullptr ? guard->place(pending) : pending;
      const ResponseParser::Step step = parser.next(input);
      EXPECT_LE(step.consumed, input.size());
      if (!step.body.empty()) {
        // The body view lies inside the consumed part of the input.
        EXPECT_GE(step.body.data(), input.data());
        EXPECT_LE(step.body.data() + step.body.size(), input.data() + step.consumed);
        current.body.append(step.body);
      }
      switch (step.event) {
        case ResponseParser::Event::head: {
          const ResponseHead& h = parser.head();
          current.status = h.status;
          current.minor_version = h.minor_version;
          current.reason = std::string(h.reason);
          for (const Header& f : h.headers())
            current.headers.emplace_back(f.name, f.value);
          current.framing = h.framing;
          current.keep_alive = h.keep_alive;
          current.framing_conflict = h.framing_conflict;
          current.interim = parser.interim_count();
          EXPECT_EQ(step.consumed > 0, true);
          break;
        }
        case ResponseParser::Event::body:
          EXPECT_GT(step.consumed, 0u);
          break;
        case ResponseParser::Event::complete:
          if (current.framing == BodyFraming::content_length) {
            EXPECT_EQ(current.body.size(), parser.head().content_length);
          }
          EXPECT_EQ(parser.body_bytes(), current.body.size());
          out.responses.push_back(std::move(current));
          current = Response{};
          ++index;
          parser.start(is_head());
          break;
        case ResponseParser::Event::error:
          out.error = parser.error();
          EXPECT_NE(out.error, ParseError::none);
          return false;
        case ResponseParser::Event::need_more:
          pending.erase(0, step.consumed);
          return true;
      }
      pending.erase(0, step.consumed);
    }
  };
  for (std::string_view piece : pieces) {
    pending.append(piece);
    if (!run()) return out;
  }
  if (eof) {
    const ResponseParser::Step step = parser.finish_eof();
    if (step.event == ResponseParser::Event::complete) {
      out.responses.push_back(std::move(current));
    } else if (step.event == ResponseParser::Event::error) {
      out.error = parser.error();
    }
  }
  return out;
}

inline Outcome drive_whole(std::string_view wire, const std::vector<bool>& head_requests = {},
                           bool eof = true, const ParserLimits& limits = {}) {
  return drive({wire}, head_requests, eof, nullptr, limits);
}

// Every two-piece split (every `stride`-th one for large inputs), and byte by byte when
// stride is 1, each behind a guard page, must give `expected`.
inline void expect_split_invariant(std::string_view wire, const Outcome& expected,
                                   const std::vector<bool>& head_requests = {}, bool eof = true,
                                   const ParserLimits& limits = {}, size_t stride = 1) {
  GuardedBuffer guard(wire.size() + 1);
  for (size_t cut = 0; cut <= wire.size(); cut += stride) {
    const Outcome got =
        drive({wire.substr(0, cut), wire.substr(cut)}, head_requests, eof, &guard, limits);
    ASSERT_EQ(got, expected) << "split at " << cut;
  }
  if (stride != 1) return;
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < wire.size(); ++i)
    bytes.push_back(wire.substr(i, 1));
  ASSERT_EQ(drive(bytes, head_requests, eof, &guard, limits), expected) << "byte by byte";
}

}  // namespace anvil::http::test
