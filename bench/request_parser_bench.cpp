// ns per request for the ETL server's hot path: parse the head and body of a request held in
// the connection buffer, as the server's connection loop does.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "anvil/http/request_parser.hpp"

namespace {

using anvil::http::RequestParser;

// What an AIStore target sends for an hpush (Go net/http client, ETL contract §2.1, §3.1).
const std::string kHpush =
    "PUT /bck/obj?etl_args=x HTTP/1.1\r\nHost: 10.0.0.5:8080\r\n"
    "User-Agent: Go-http-client/1.1\r\nContent-Length: 13\r\n"
    "Ais-Node-Url: http://10.0.0.7:51081/ais%2F@%23%2Fdst%2Fa.jpg?owt=1&uuid=x\r\n"
    "Accept-Encoding: gzip\r\n\r\nHello, world!";

// A streaming pipeline stage's chunked PUT (contract §7).
const std::string kChunked =
    "PUT /bck/obj HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nUser-Agent: python-requests/2.32\r\n"
    "Transfer-Encoding: chunked\r\n\r\n"
    "20\r\n0123456789abcdef0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";

int parse_all(RequestParser& parser, std::string_view buffer) {
  int done = 0;
  size_t bytes = 0;
  while (!buffer.empty()) {
    const RequestParser::Step step = parser.next(buffer);
    buffer.remove_prefix(step.consumed);
    bytes += step.body.size();
    if (step.event == RequestParser::Event::complete) {
      ++done;
      parser.start();
    } else if (step.event == RequestParser::Event::error ||
               step.event == RequestParser::Event::need_more) {
      break;
    }
  }
  benchmark::DoNotOptimize(bytes);
  return done;
}

void run(benchmark::State& state, const std::string& buffer, int expected) {
  RequestParser parser;
  int64_t requests = 0;
  for (auto _ : state) {
    const int done = parse_all(parser, buffer);
    if (done != expected) state.SkipWithError("parse failed");
    requests += done;
  }
  state.SetItemsProcessed(requests);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(buffer.size()));
  state.counters["time_per_request"] = benchmark::Counter(
      static_cast<double>(requests), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Hpush(benchmark::State& state) {
  run(state, kHpush, 1);
}
void BM_ChunkedPut(benchmark::State& state) {
  run(state, kChunked, 1);
}
void BM_HpushPipelined4(benchmark::State& state) {
  run(state, kHpush + kHpush + kHpush + kHpush, 4);
}

BENCHMARK(BM_Hpush);
BENCHMARK(BM_ChunkedPut);
BENCHMARK(BM_HpushPipelined4);

}  // namespace

BENCHMARK_MAIN();
