// ns per response for the load generator's hot path: parse head and body of a response held
// in the connection buffer, as Connection::process does.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "anvil/http/response_parser.hpp"

namespace {

using anvil::http::ResponseParser;

// What nginx answers for a 13-byte static file (wrk's usual target).
const std::string kNginx =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    "Content-Type: text/plain\r\nContent-Length: 13\r\nLast-Modified: Mon, 01 Jan 2024 "
    "00:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"65920000-d\"\r\nAccept-Ranges: "
    "bytes\r\n\r\nHello, world!";

const std::string kChunked =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n"
    "20\r\n{\"status\":\"ok\",\"items\":[1,2,3,4]\r\n10\r\n,\"more\":[5,6,7]}\r\n0\r\n\r\n";

// Parses every response in `buffer`; returns how many completed.
int parse_all(ResponseParser& parser, std::string_view buffer) {
  int done = 0;
  size_t bytes = 0;
  while (!buffer.empty()) {
    const ResponseParser::Step step = parser.next(buffer);
    buffer.remove_prefix(step.consumed);
    bytes += step.body.size();
    if (step.event == ResponseParser::Event::complete) {
      ++done;
      parser.start(false);
    } else if (step.event == ResponseParser::Event::error ||
               step.event == ResponseParser::Event::need_more) {
      break;
    }
  }
  benchmark::DoNotOptimize(bytes);
  return done;
}

void run(benchmark::State& state, const std::string& buffer, int expected) {
  ResponseParser parser;
  int64_t responses = 0;
  for (auto _ : state) {
    const int done = parse_all(parser, buffer);
    if (done != expected) state.SkipWithError("parse failed");
    responses += done;
  }
  state.SetItemsProcessed(responses);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(buffer.size()));
  state.counters["time_per_response"] = benchmark::Counter(
      static_cast<double>(responses), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_NginxSmall(benchmark::State& state) {
  run(state, kNginx, 1);
}
void BM_Chunked(benchmark::State& state) {
  run(state, kChunked, 1);
}
void BM_Pipelined4(benchmark::State& state) {
  run(state, kNginx + kNginx + kNginx + kNginx, 4);
}

BENCHMARK(BM_NginxSmall);
BENCHMARK(BM_Chunked);
BENCHMARK(BM_Pipelined4);

}  // namespace

BENCHMARK_MAIN();
