#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "anvil/http/parse_error.hpp"

namespace anvil::http {

// Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally. It consumes input
// byte-exactly and keeps all its state between calls, so a chunk-size line, a CRLF or a
// trailer field split across reads needs nothing from the caller but the next bytes.
// Chunk data is returned as views into the input (no copy). Chunk extensions are validated
// and discarded; trailer fields are validated and discarded.
class ChunkedDecoder {
 public:
  enum class Status : uint8_t {
    need_more,  // all input consumed, the body is not finished
    data,       // `data` is chunk data inside the input
    done,       // the last chunk and the trailer section ended
    error,      // error() says why
  };
  struct Result {
    Status status;
    size_t consumed;        // bytes of the input used, including `data`
    std::string_view data;  // only for Status::data
  };

  // max_chunk_size bounds each chunk (bad_chunk_size); max_trailer_bytes bounds the trailer
  // section (bad_trailer); max_body bounds the sum of chunk sizes (body_too_large, reported
  // when a chunk-size line would pass it, before any of that chunk's data is returned).
  void reset(uint64_t max_chunk_size, size_t max_trailer_bytes,
             uint64_t max_body = UINT64_MAX) noexcept;

  // Decodes from `input` up to the first chunk data, the end of the body or an error.
  Result feed(std::string_view input) noexcept;

  ParseError error() const noexcept { return error_; }
  uint64_t body_bytes() const noexcept { return body_bytes_; }

  // A chunk-size line (size, extensions, CRLF) longer than this is rejected: extensions are
  // discarded, so a peer must not be able to make us spin on them forever.
  static constexpr size_t kMaxSizeLineBytes = 4096;

 private:
  enum class State : uint8_t {
    size_first,
    size,
    ext_bws,
    ext_name_start,
    ext_name,
    ext_after_name,
    ext_value_start,
    ext_token,
    ext_quoted,
    ext_quoted_escape,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_line_start,
    trailer_name,
    trailer_value,
    trailer_lf,
    end_lf,
    done,
    error,
  };

  Result fail(ParseError error, size_t consumed) noexcept;

  State state_ = State::size_first;
  ParseError error_ = ParseError::none;
  uint64_t chunk_size_ = 0;  // while parsing the size; then the data left in the chunk
  uint64_t body_bytes_ = 0;
  size_t line_bytes_ = 0;     // bytes of the current chunk-size line
  size_t trailer_bytes_ = 0;  // bytes of the trailer section so far
  uint64_t max_chunk_size_ = (1ull << 40);
  size_t max_trailer_bytes_ = 64 * 1024;
  uint64_t max_body_ = UINT64_MAX;
};

}  // namespace anvil::http
