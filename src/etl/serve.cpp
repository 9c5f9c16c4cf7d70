#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "anvil/core/units.hpp"
#include "anvil/etl/etl_server.hpp"
#include "environment.hpp"
#include "etl_handler.hpp"

namespace anvil::etl {

namespace {}  // namespace

int serve(EtlServer& etl, int argc, char** argv, TransformMode mode) {
  EtlConfig config;
  // Each flag also reads its ANVIL_* variable (for containers) through the same parsing and
  // range checks, so a bad value in the environment is refused like a bad flag.
  config.server.host = "0.0.0.0";
  int port = 8000;
  int threads = 1;
  int workers = 0;
  int max_streams = 16;
  std::string max_body;
  bool standalone = false;
  std::string header_timeout = "10s";
  std::string idle_timeout = "75s";

  CLI::App app{"anvil ETL transform server (AIStore hpush/hpull contract)"};
  app.add_option("--host", config.server.host, "Address to listen on (ANVIL_HOST; default 0.0.0.0)")
      ->envname("ANVIL_HOST");
  app.add_option("--port", port, "Port (ANVIL_PORT; default 8000; 0 picks a free one)")
      ->envname("ANVIL_PORT")
      ->check(CLI::Range(0, 65535));
  app.add_option("--threads", threads, "Event-loop threads (ANVIL_THREADS; default 1)")
      ->envname("ANVIL_THREADS")
      ->check(CLI::Range(1, 256));
  app.add_option("--workers", workers,
                 "Run every transform on a pool of N threads instead of the event loops "
                 "(ANVIL_WORKERS; default 0: transforms run on the event loops)")
      ->envname("ANVIL_WORKERS")
      ->check(CLI::Range(0, 4096));
  app.add_option("--max-streams", max_streams,
                 "Streaming servers: objects streamed at once, each on a thread of its own; "
                 "more wait, unread, for a free one (ANVIL_MAX_STREAMS; default 16)")
      ->envname("ANVIL_MAX_STREAMS")
      ->check(CLI::Range(1, 4096));
  app.add_option("--max-body", max_body,
                 "Largest request body in bytes (ANVIL_MAX_BODY; default 16 GiB)")
      ->envname("ANVIL_MAX_BODY");
  app.add_option("--header-timeout", header_timeout,
                 "A request's head must arrive within this (slowloris guard; ANVIL_HEADER_TIMEOUT; "
                 "default 10s)")
      ->envname("ANVIL_HEADER_TIMEOUT");
  app.add_option("--idle-timeout", idle_timeout,
                 "Close idle keep-alive connections after this (ANVIL_IDLE_TIMEOUT; default 75s)")
      ->envname("ANVIL_IDLE_TIMEOUT");
  app.add_flag("--standalone", standalone,
               "No AIS target: GET /<path> transforms an empty input (ANVIL_STANDALONE)")
      ->envname("ANVIL_STANDALONE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "anvil etl: error: %s\n", e.what());
    return 2;
  }
  if (!max_body.empty()) {
    auto n = core::parse_unsigned(max_body);
    if (!n) {
      std::fprintf(stderr, "anvil etl: error: --max-body '%s' is not a byte count\n",
                   max_body.c_str());
      return 2;
    }
    config.server.limits.max_body = *n;
  }
  for (auto [text, target] : {std::pair{&header_timeout, &config.server.header_timeout_ns},
                              std::pair{&idle_timeout, &config.server.idle_timeout_ns}}) {
    auto ns = core::parse_duration_ns(*text);
    if (!ns || *ns <= 0) {
      std::fprintf(stderr, "anvil etl: error: '%s' is not a positive duration (e.g. 10s, 500ms)\n",
                   text->c_str());
      return 2;
    }
    *target = *ns;
  }
  config.server.body_timeout_ns =
      std::max(config.server.header_timeout_ns, config.server.body_timeout_ns);
  config.server.port = static_cast<uint16_t>(port);
  config.server.threads = threads;
  // Blocking work (files, the target, hops) always has a pool; transforms use it when asked.
  config.server.workers = std::max(workers, 2);
  config.transform_on_workers = workers > 0;
  config.standalone = standalone;
  config.streaming = mode == TransformMode::streaming;
  if (config.streaming) config.server.stream_threads = max_streams;
  config.direct_fqn = env_true("ETL_DIRECT_FQN");
  config.authn_token = env_or("AIS_AUTHN_TOKEN", "");
  {
    const std::string retries = env_or("AIS_DIRECT_PUT_RETRIES", "3");
    auto n = core::parse_unsigned(retries);
    if (!n || *n > 100) {
      std::fprintf(stderr, "anvil etl: error: AIS_DIRECT_PUT_RETRIES '%s' must be 0..100\n",
                   retries.c_str());
      return 2;
    }
    config.direct_put_retries = static_cast<int>(*n);
    // The backoff unit is 1 s as in the reference servers; tests shorten it.
    auto unit = core::parse_duration_ns(env_or("ANVIL_DIRECT_PUT_BACKOFF", "1s"));
    if (!unit) {
      std::fprintf(stderr, "anvil etl: error: ANVIL_DIRECT_PUT_BACKOFF must be a duration\n");
      return 2;
    }
    config.direct_put_backoff_ns = *unit;
  }
  for (auto [name, list] : {std::pair{"ANVIL_HOP_ALLOW", &config.hop_allow},
                            std::pair{"ANVIL_DOWNLOAD_ALLOW", &config.download_allow}}) {
    const std::string text = env_or(name, "");
    if (text.empty()) continue;
    std::string error;
    *list = HostAllowList::parse(text, &error);
    if (!*list) {
      std::fprintf(stderr, "anvil etl: error: %s: %s\n", name, error.c_str());
      return 2;
    }
  }
  config.target_url_text = env_or("AIS_TARGET_URL", "");
  if (config.target_url_text.empty() && !standalone) {
    std::fprintf(stderr,
                 "anvil etl: error: AIS_TARGET_URL is not set (AIStore sets it in the ETL pod; "
                 "use --standalone to serve without a target)\n");
    return 2;
  }
  if (!config.target_url_text.empty()) {
    std::string error;
    auto url = http::parse_url(config.target_url_text, &error);
    if (!url) {
      std::fprintf(stderr, "anvil etl: error: AIS_TARGET_URL '%s': %s\n",
                   redact_target_url(config.target_url_text).c_str(), error.c_str());
      return 2;
    }
    config.target_url = *url;
  }

  // Signals are taken by sigwait below, not by handlers: block them before any thread starts
  // so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  EtlHandler handler(etl, config, FqnReader::from_environment());
  server::HttpServer http_server(config.server, handler);
  try {
    http_server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anvil etl: error: %s\n", e.what());
    return 1;
  }
  std::fprintf(
      stderr, "anvil etl: listening on %s:%u (threads %d, workers %d, streams %d, target %s)\n",
      config.server.host.c_str(), http_server.port(), threads, config.server.workers,
      config.server.stream_threads,
      standalone ? "none (standalone)" : redact_target_url(config.target_url_text).c_str());
  // The port line is on stdout too, so supervisors that start the server on port 0 learn it.
  std::printf("PORT %u\n", http_server.port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "anvil etl: %s: finishing requests in flight\n",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  http_server.shutdown();
  return 0;
}

}  // namespace anvil::etl
