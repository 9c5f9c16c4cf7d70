// The ws codec's hot paths: parse + unmask throughput for large frames (GB/s), cost per small
// frame (ns/frame), and the 8-bytes-at-a-time unmasking against a per-byte loop.
// Run: build/ws_frame_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "anvil/ws/frame.hpp"
#include "anvil/ws/frame_parser.hpp"
#include "anvil/ws/message_reader.hpp"

namespace {

using namespace anvil::ws;

constexpr MaskKey kKey{0x12, 0x34, 0x56, 0x78};

// `count` masked client frames of `size` payload bytes each, back to back.
std::vector<char> masked_frames(Opcode op, size_t size, size_t count) {
  std::vector<char> wire;
  std::string payload(size, 'a');
  for (size_t i = 0; i < size; ++i)
    payload[i] = static_cast<char>('a' + i % 26);
  apply_mask({payload.data(), payload.size()}, kKey);
  for (size_t i = 0; i < count; ++i) {
    std::array<char, kMaxFrameHeaderSize> header{};
    const size_t n = encode_frame_header(header, op, true, size, &kKey);
    wire.insert(wire.end(), header.data(), header.data() + n);
    wire.insert(wire.end(), payload.begin(), payload.end());
  }
  return wire;
}

// Parses every frame in `wire`; returns payload bytes seen. Unmasking flips the buffer between
// masked and unmasked on alternate runs, which costs the same.
uint64_t parse_all(FrameParser& parser, std::vector<char>& wire) {
  std::span<char> in(wire.data(), wire.size());
  uint64_t bytes = 0;
  for (;;) {
    const FrameParser::Step s = parser.next(in);
    if (s.event == FrameParser::Event::need_more) break;  // after the last frame_end
    if (s.event == FrameParser::Event::error) std::abort();
    bytes += s.data.size();
    in = in.subspan(s.consumed);
  }
  return bytes;
}

void BM_ParseUnmaskLargeFrame(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<char> wire = masked_frames(Opcode::binary, size, 1);
  for (auto _ : state) {
    FrameParser parser(Role::server);
    benchmark::DoNotOptimize(parse_all(parser, wire));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}
BENCHMARK(BM_ParseUnmaskLargeFrame)->Arg(64 << 10)->Arg(1 << 20);

void BM_SmallFrames(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  constexpr size_t kFrames = 1024;
  std::vector<char> wire = masked_frames(Opcode::binary, size, kFrames);
  FrameParser parser(Role::server);
  for (auto _ : state) {
    benchmark::DoNotOptimize(parse_all(parser, wire));
  }
  // Seconds per frame, printed with an SI prefix (e.g. "15.1n" = 15.1 ns).
  state.counters["time_per_frame"] = benchmark::Counter(
      static_cast<double>(kFrames),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SmallFrames)->Arg(0)->Arg(16)->Arg(125);

// Whole text messages through MessageReader (UTF-8 validation included): the ETL control
// message path.
void BM_SmallTextMessages(benchmark::State& state) {
  constexpr size_t kFrames = 1024;
  std::vector<char> wire = masked_frames(Opcode::text, 96, kFrames);
  MessageReader reader(Role::server);
  for (auto _ : state) {
    std::span<char> in(wire.data(), wire.size());
    size_t messages = 0;
    for (;;) {
      const MessageReader::Step s = reader.next(in);
      if (s.event == MessageReader::Event::need_more) break;
      if (s.event == MessageReader::Event::message_end) ++messages;
      in = in.subspan(s.consumed);
    }
    if (messages != kFrames) std::abort();
    // Alternate runs see the payload masked/unmasked; re-mask so UTF-8 stays valid.
    state.PauseTiming();
    wire = masked_frames(Opcode::text, 96, kFrames);
    state.ResumeTiming();
  }
  // Seconds per frame, printed with an SI prefix (e.g. "15.1n" = 15.1 ns).
  state.counters["time_per_frame"] = benchmark::Counter(
      static_cast<double>(kFrames),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SmallTextMessages);

void BM_ApplyMask(benchmark::State& state) {
  std::vector<char> data(static_cast<size_t>(state.range(0)), 'x');
  size_t phase = 1;
  for (auto _ : state) {
    phase = apply_mask({data.data(), data.size()}, kKey, phase);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ApplyMask)->Arg(64 << 10);

// The textbook loop, for comparison: one byte and one modulo per step.
void BM_ApplyMaskNaive(benchmark::State& state) {
  std::vector<char> data(static_cast<size_t>(state.range(0)), 'x');
  size_t phase = 1;
  for (auto _ : state) {
    const size_t n = data.size();
    for (size_t i = 0; i < n; ++i) {
      data[i] = static_cast<char>(data[i] ^ kKey[(phase + i) % 4]);
      benchmark::ClobberMemory();  // keeps the compiler from vectorizing it into BM_ApplyMask
    }
    phase = (phase + n) % 4;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ApplyMaskNaive)->Arg(64 << 10);

void BM_EncodeHeader(benchmark::State& state) {
  std::array<char, kMaxFrameHeaderSize> out{};
  uint64_t length = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(encode_frame_header(out, Opcode::binary, true, length, nullptr));
    length = (length * 3) & 0xFFFFF;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_EncodeHeader);

}  // namespace

BENCHMARK_MAIN();
