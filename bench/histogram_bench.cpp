// Histogram hot path and report costs. Run: build/histogram_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "anvil/metrics/histogram.hpp"
#include "anvil/metrics/histogram_log.hpp"

namespace {

using anvil::metrics::Histogram;

// Latency-like values: log-uniform between 10 us and 100 ms, precomputed so the benchmark
// measures record(), not the random number generator.
std::vector<int64_t> latencies(size_t n) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> d(std::log(10.0), std::log(100'000.0));
  std::vector<int64_t> v(n);
  for (auto& x : v)
    x = static_cast<int64_t>(std::exp(d(rng)));
  return v;
}

Histogram filled(size_t n) {
  Histogram h;
  for (int64_t v : latencies(n))
    h.record(v);
  return h;
}

void BM_Record(benchmark::State& state) {
  const auto values = latencies(1 << 16);
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record);

void BM_ValueAtPercentile(benchmark::State& state) {
  const Histogram h = filled(1'000'000);
  const double p = static_cast<double>(state.range(0)) / 10.0;
  for (auto _ : state)
    benchmark::DoNotOptimize(h.value_at_percentile(p));
}
BENCHMARK(BM_ValueAtPercentile)->Arg(500)->Arg(990)->Arg(999);

void BM_SixPercentilesOnePass(benchmark::State& state) {
  const Histogram h = filled(1'000'000);
  const double ps[] = {50, 90, 99, 99.9, 99.99, 100};
  int64_t out[6];
  for (auto _ : state) {
    h.values_at_percentiles(ps, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SixPercentilesOnePass);

void BM_Merge(benchmark::State& state) {
  const Histogram src = filled(100'000);
  Histogram dst;
  for (auto _ : state) {
    dst.merge(src);
    benchmark::DoNotOptimize(dst.count());
  }
}
BENCHMARK(BM_Merge);

void BM_EncodeBase64(benchmark::State& state) {
  const Histogram h = filled(1'000'000);
  for (auto _ : state)
    benchmark::DoNotOptimize(anvil::metrics::encode_compressed_base64(h));
}
BENCHMARK(BM_EncodeBase64);

void BM_DecodeBase64(benchmark::State& state) {
  const std::string text = anvil::metrics::encode_compressed_base64(filled(1'000'000));
  for (auto _ : state)
    benchmark::DoNotOptimize(anvil::metrics::decode_compressed_base64(text));
}
BENCHMARK(BM_DecodeBase64);

}  // namespace

BENCHMARK_MAIN();
