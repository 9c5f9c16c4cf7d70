#include "anvil/load/report.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "anvil/core/units.hpp"
#include "anvil/metrics/histogram_log.hpp"
#include "anvil/metrics/percentile_distribution.hpp"

namespace anvil::load {

namespace {

struct ReportPercentile {
  const char* label;
  const char* json_key;
  double percentile;
};
constexpr ReportPercentile kPercentiles[] = {{"p50", "p50", 50},       {"p90", "p90", 90},
                                             {"p95", "p95", 95},       {"p99", "p99", 99},
                                             {"p99.9", "p99_9", 99.9}, {"p99.99", "p99_99", 99.99}};

std::string mode_line(const LoadOptions& o) {
  std::string line;
  switch (o.mode) {
    case Mode::closed:
      line = "closed loop, " + std::to_string(o.connections) + " connections";
      if (o.pipeline > 1) line += ", pipeline " + std::to_string(o.pipeline);
      break;
    case Mode::rate: {
      char rate[64];
      std::snprintf(rate, sizeof rate, "constant rate %.0f req/s", o.rate);
      line = std::string(rate) + (o.stages.empty() ? "" : " (staged)") + ", up to " +
             std::to_string(o.connections) + " connections";
      break;
    }
    case Mode::users:
      line = std::to_string(o.users) + " users, think " +
             core::format_latency_us(o.think_min_ns / 1e3) + ".." +
             core::format_latency_us(o.think_max_ns / 1e3);
      if (!o.stages.empty()) line += " (staged)";
      break;
  }
  line += ", " + std::to_string(o.threads) + (o.threads == 1 ? " thread" : " threads");
  line += o.keepalive ? ", keep-alive" : ", no keep-alive";
  return line;
}

const char* latency_caption(Mode mode) {
  switch (mode) {
    case Mode::closed:
      return "service time (closed loop: requests wait for answers, so these are NOT the "
             "latencies users would see under a stall; use --rate for that)";
    case Mode::rate:
      return "from each request's intended send time (coordinated omission corrected)";
    case Mode::users:
      return "per user, send to answer (each user waits for its answer)";
  }
  return "";
}

}  // namespace

void print_report(std::FILE* out, const LoadOptions& o, const LoadResult& r) {
  const Counters& c = r.counters;
  std::fprintf(out, "anvil load %s\n  %s, %.2fs measured", o.url.to_string().c_str(),
               mode_line(o).c_str(), r.duration_s);
  if (o.warmup_ns > 0) std::fprintf(out, " after %.2fs warm-up", o.warmup_ns / 1e9);
  std::fprintf(out, "\n\n");

  const uint64_t bad = c.failed() + c.status_range(400, 599);
  std::fprintf(out, "  Requests   %s total, %s ok/s (%.2f%% errors)\n",
               core::format_count(c.requests).c_str(),
               core::format_count(static_cast<uint64_t>(r.rps() + 0.5)).c_str(),
               r.error_ratio() * 100);
  if (o.mode == Mode::rate) {
    std::fprintf(out, "  Rate       %.1f req/s sent of %.1f requested\n", r.achieved_rate, o.rate);
  }
  std::fprintf(out, "  Transfer   %s read (%s/s), %s written\n",
               core::format_bytes(static_cast<double>(c.bytes_read)).c_str(),
               core::format_bytes(c.bytes_read / r.duration_s).c_str(),
               core::format_bytes(static_cast<double>(c.bytes_written)).c_str());

  std::fprintf(out, "\n  Latency    %s\n", latency_caption(o.mode));
  std::fprintf(out, "    %9s %9s", "min", "mean");
  for (const auto& p : kPercentiles)
    std::fprintf(out, " %9s", p.label);
  std::fprintf(out, " %9s\n", "max");
  const auto& h = r.latency;
  if (h.count() == 0) {
    std::fprintf(out, "    (no responses)\n");
  } else {
    std::fprintf(out, "    %9s %9s", core::format_latency_us(static_cast<double>(h.min())).c_str(),
                 core::format_latency_us(h.mean()).c_str());
    for (const auto& p : kPercentiles) {
      std::fprintf(out, " %9s",
                   core::format_latency_us(static_cast<double>(h.value_at_percentile(p.percentile)))
                       .c_str());
    }
    std::fprintf(out, " %9s\n", core::format_latency_us(static_cast<double>(h.max())).c_str());
  }
  if (o.print_spectrum && h.count() > 0) {
    std::fprintf(out, "\n  Percentile spectrum (ms)\n");
    std::ostringstream spectrum;
    metrics::write_percentile_distribution(spectrum, h, 5, 1000.0);
    std::fputs(spectrum.str().c_str(), out);
  }

  std::fprintf(out, "\n  Status    ");
  bool any = false;
  for (size_t code = 100; code < c.status.size(); ++code) {
    if (c.status[code] == 0) continue;
    std::fprintf(out, " %zu: %s", code, core::format_count(c.status[code]).c_str());
    any = true;
  }
  std::fprintf(out, "%s\n", any ? "" : " none");
  std::fprintf(out, "  Errors    ");
  if (bad == 0) {
    std::fprintf(out, " none\n");
  } else {
    for (size_t e = 0; e < kErrorClassCount; ++e) {
      if (c.errors[e])
        std::fprintf(out, " %s %s,", to_string(static_cast<ErrorClass>(e)),
                     core::format_count(c.errors[e]).c_str());
    }
    std::fprintf(out, " 4xx %s, 5xx %s\n", core::format_count(c.status_range(400, 499)).c_str(),
                 core::format_count(c.status_range(500, 599)).c_str());
  }
  std::fprintf(out, "  Client CPU  user %.2fs, sys %.2fs, %.0f%% of its cores%s\n", r.cpu_user_s,
               r.cpu_sys_s, r.cpu_utilization * 100, r.client_bound ? "  << CLIENT-BOUND" : "");
  if (r.client_bound)
    std::fprintf(out, "  client-bound: %s; the server may be faster than shown\n",
                 r.client_bound_reason.c_str());
  for (const auto& w : r.warnings)
    std::fprintf(out, "  warning: %s\n", w.c_str());
}

nlohmann::json to_json(const LoadOptions& o, const LoadResult& r) {
  using nlohmann::json;
  const Counters& c = r.counters;
  json errors = json::object();
  for (size_t e = 0; e < kErrorClassCount; ++e)
    errors[to_string(static_cast<ErrorClass>(e))] = c.errors[e];
  errors["status_4xx"] = c.status_range(400, 499);
  errors["status_5xx"] = c.status_range(500, 599);
  json status = json::object();
  for (size_t code = 100; code < c.status.size(); ++code) {
    if (c.status[code]) status[std::to_string(code)] = c.status[code];
  }
  const auto& h = r.latency;
  json latency = {{"min", h.count() ? h.min() : 0},
                  {"mean", h.mean()},
                  {"max", h.count() ? h.max() : 0},
                  {"stddev", h.stddev()},
                  {"count", h.count()}};
  for (const auto& p : kPercentiles)
    latency[p.json_key] = h.value_at_percentile(p.percentile);

  json requests = json::array();
  for (const auto& t : o.requests) {
    requests.push_back({{"method", t.method},
                        {"target", t.target.empty() ? o.url.target : t.target},
                        {"body_bytes", t.body.size()},
                        {"weight", t.weight}});
  }
  json config = {{"url", o.url.to_string()},
                 {"threads", o.threads},
                 {"connections", o.connections},
                 {"keepalive", o.keepalive},
                 {"pipeline", o.pipeline},
                 {"duration_s", o.measured_ns() / 1e9},
                 {"warmup_s", o.warmup_ns / 1e9},
                 {"timeout_s", o.timeout_ns / 1e9},
                 {"rate", o.mode == Mode::rate ? json(o.rate) : json(nullptr)},
                 {"users", o.mode == Mode::users ? json(o.users) : json(nullptr)},
                 {"requests", requests}};
  if (o.request_count) config["request_count"] = *o.request_count;
  if (o.mode == Mode::users) {
    config["think_min_s"] = o.think_min_ns / 1e9;
    config["think_max_s"] = o.think_max_ns / 1e9;
    config["spawn_rate"] = o.spawn_rate;
  }
  if (!o.stages.empty()) {
    json stages = json::array();
    for (const auto& s : o.stages)
      stages.push_back({{"duration_s", s.duration_ns / 1e9}, {"target", s.target}});
    config["stages"] = stages;
  }
  return {{"mode", to_string(o.mode)},
          {"requests", c.requests},
          {"responses", c.responses},
          {"successes", c.successes},
          {"duration_s", r.duration_s},
          {"rps", r.rps()},
          {"target_rate", o.mode == Mode::rate ? json(o.rate) : json(nullptr)},
          {"achieved_rate", o.mode == Mode::rate ? json(r.achieved_rate) : json(nullptr)},
          {"bytes_read", c.bytes_read},
          {"bytes_written", c.bytes_written},
          {"connects", c.connects},
          {"errors", errors},
          {"error_ratio", r.error_ratio()},
          {"status", status},
          {"latency_us", latency},
          {"latency_histogram", metrics::encode_compressed_base64(h)},
          {"latency_is_service_time", o.mode != Mode::rate},
          {"client_cpu",
           {{"user_s", r.cpu_user_s}, {"sys_s", r.cpu_sys_s}, {"utilization", r.cpu_utilization}}},
          {"client_bound", r.client_bound},
          {"client_bound_reason", r.client_bound ? json(r.client_bound_reason) : json(nullptr)},
          {"rate_mode",
           {{"late_sends", r.late_sends},
            {"queued_sends", r.queued_sends},
            {"dropped_queued", r.dropped_queued}}},
          {"warnings", r.warnings},
          {"interrupted", r.interrupted},
          {"config", config}};
}

void write_hlog(const std::string& path, const LoadOptions& o, const LoadResult& r) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write --hlog file '" + path + "'");
  metrics::HistogramLogWriter writer(out);
  writer.write_comment("[Logged with anvil load " + o.url.to_string() + "]");
  writer.write_header(r.start_unix_ms / 1000.0);
  double start = o.warmup_ns / 1e9;
  for (const auto& interval : r.intervals) {
    writer.write_interval(start, 1.0, interval);
    start += 1.0;
  }
  if (!out || !writer.ok()) throw std::runtime_error("cannot write --hlog file '" + path + "'");
}

}  // namespace anvil::load
