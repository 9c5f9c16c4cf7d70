#include "anvil/http/chunked.hpp"

#include <gtest/gtest.h>

#include <string>

namespace anvil::http {
namespace {

// Decodes `wire` fed in pieces of `piece` bytes; returns the body or "ERROR:<name>".
std::string decode(std::string_view wire, size_t piece, size_t* leftover = nullptr) {
  ChunkedDecoder decoder;
  decoder.reset(1ull << 40, 1024);
  std::string body;
  size_t at = 0;
  std::string pending;
  while (true) {
    if (pending.empty()) {
      if (at >= wire.size()) return "INCOMPLETE";
      pending = std::string(wire.substr(at, piece));
      at += pending.size();
    }
    const auto r = decoder.feed(pending);
    EXPECT_LE(r.consumed, pending.size());
    if (r.status == ChunkedDecoder::Status::error) {
      return std::string("ERROR:") + to_string(decoder.error());
    }
    body.append(r.data);
    pending.erase(0, r.consumed);
    if (r.status == ChunkedDecoder::Status::done) {
      EXPECT_EQ(decoder.body_bytes(), body.size());
      if (leftover != nullptr) *leftover = pending.size() + (wire.size() - at);
      return body;
    }
  }
}

TEST(ChunkedDecoder, DecodesAtEveryPieceSize) {
  const std::string wire =
      "4\r\nWiki\r\n6;name=\"v;\\\"x\"\r\npedia \r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: x\r\n\r\n";
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    size_t leftover = 99;
    EXPECT_EQ(decode(wire, piece, &leftover), "Wikipedia  in\r\n\r\nchunks.") << piece;
    EXPECT_EQ(leftover, 0u);
  }
}

TEST(ChunkedDecoder, StopsExactlyAtTheEnd) {
  size_t leftover = 0;
  EXPECT_EQ(decode("1\r\na\r\n0\r\n\r\nHTTP/1.1", 64, &leftover), "a");
  EXPECT_EQ(leftover, 8u);
}

TEST(ChunkedDecoder, TrailerSectionIsBounded) {
  std::string wire = "0\r\n";
  for (int i = 0; i < 100; ++i)
    wire += "X-Trailer-Field: some value\r\n";
  wire += "\r\n";
  EXPECT_EQ(decode(wire, 7), "ERROR:bad_trailer");
}

TEST(ChunkedDecoder, MaxChunkSizeBoundary) {
  ChunkedDecoder decoder;
  decoder.reset(0xff, 64);
  EXPECT_EQ(decoder.feed("ff\r\n").status, ChunkedDecoder::Status::need_more);
  decoder.reset(0xff, 64);
  EXPECT_EQ(decoder.feed("100\r\n").status, ChunkedDecoder::Status::error);
  EXPECT_EQ(decoder.error(), ParseError::bad_chunk_size);
  decoder.reset(UINT64_MAX, 64);
  EXPECT_EQ(decoder.feed("ffffffffffffffff\r\n").status, ChunkedDecoder::Status::need_more);
  decoder.reset(UINT64_MAX, 64);
  EXPECT_EQ(decoder.feed("10000000000000000\r\n").status, ChunkedDecoder::Status::error);
}

TEST(ChunkedDecoder, ExtensionGrammar) {
  EXPECT_EQ(decode("1 ; a = b ; c\r\nx\r\n0\r\n\r\n", 3), "x");
  EXPECT_EQ(decode("1;a=\"\"\r\nx\r\n0\r\n\r\n", 3), "x");
  EXPECT_EQ(decode("1;a=b c\r\nx\r\n0\r\n\r\n", 3), "ERROR:bad_chunk_extension");
  EXPECT_EQ(decode("1;a=\"\x01\"\r\nx\r\n0\r\n\r\n", 3), "ERROR:bad_chunk_extension");
  EXPECT_EQ(decode("1 x\r\nx\r\n0\r\n\r\n", 3), "ERROR:bad_chunk_extension");
  EXPECT_EQ(decode("1x\r\nx\r\n0\r\n\r\n", 3), "ERROR:bad_chunk_size");
}

}  // namespace
}  // namespace anvil::http
