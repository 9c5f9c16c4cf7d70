#include "anvil/server/http_server.hpp"

#include <sys/resource.h>

#include "anvil/core/socket.hpp"
#include "server_loop.hpp"

namespace anvil::server {

namespace {

// Every connection is a descriptor; the default soft limit (1024) is far below what a
// transform server under an AIStore target sees (contract: raise the open-file limit).
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, Handler& handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() {
  shutdown();
}

void HttpServer::start() {
  raise_open_file_limit();
  const core::SocketAddress first = core::resolve(options_.host, options_.port);
  std::vector<core::UniqueFd> listeners;
  listeners.push_back(core::listen_tcp(first, 4096, true));
  port_ = core::local_port(listeners.front().get());
  const core::SocketAddress same = core::resolve(options_.host, port_);
  for (int i = 1; i < options_.threads; ++i)
    listeners.push_back(core::listen_tcp(same, 4096, true));
  if (options_.workers > 0) pool_ = std::make_unique<WorkerPool>(options_.workers);
  if (options_.stream_threads > 0) streams_ = std::make_unique<WorkerPool>(options_.stream_threads);
  sessions_ = std::make_unique<SessionRegistry>();
  for (auto& listener : listeners) {
    loops_.push_back(std::make_unique<ServerLoop>(options_, handler_, pool_.get(), streams_.get(),
                                                  sessions_.get(), std::move(listener)));
  }
  for (auto& loop : loops_) {
    threads_.emplace_back([this, l = loop.get()] { l->run(stopping_); });
  }
}

void HttpServer::shutdown() {
  stopping_.store(true);
  for (auto& loop : loops_)
    loop->wake();
  wait();
}

void HttpServer::wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  // Workers finish the requests they hold before the loops (which own the connections) go.
  if (pool_) pool_->stop();
  if (streams_) streams_->stop();
  if (sessions_) sessions_->stop_all();
}

void Handler::handle_stream(StreamExchange& exchange) {
  constexpr std::string_view kReply =
      "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n"
      "Connection: close\r\n\r\nNot Implemented";
  exchange.abort();
  const std::string_view pieces[] = {kReply};
  exchange.write(pieces);
}

}  // namespace anvil::server
