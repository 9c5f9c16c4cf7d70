#pragma once

// Private to the etl module: the blocking HTTP/1.1 client a worker uses to reach the AIS
// target (hpull GET) and the next hop (direct put). It runs on worker threads only.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/http/url.hpp"

namespace anvil::etl {

// How a request failed before any response came back. The direct-put retry contract (§5.6)
// depends on it: a refused connection is permanent, most others are transient.
enum class UpstreamFailure : uint8_t { none, refused, transient, permanent };

struct UpstreamResponse {
  int status = 0;  // 0: no response; see failure and error
  UpstreamFailure failure = UpstreamFailure::none;
  std::string error;
  std::string body;
  bool has_content_length = false;
  // Response fields named Ais-* (passed up a pipeline, contract §5.9), name and value.
  std::vector<std::pair<std::string, std::string>> ais_headers;

  const std::string* ais_header(std::string_view name) const;
};

struct UpstreamRequest {
  std::string_view method = "GET";
  const http::Url* url = nullptr;
  std::string_view body;  // sent with a Content-Length (PUT), also when empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view bearer_token;  // AIS_AUTHN_TOKEN: Authorization: Bearer <token>
};

// One request on a fresh connection (Connection: close).
UpstreamResponse upstream_call(const UpstreamRequest& request);

// The same exchange in steps, for streaming: the request body sent in chunks
// (Transfer-Encoding: chunked) and/or the response body read in pieces. Every step returns
// false on failure, with failure() and error() saying why, as UpstreamResponse would.
class UpstreamExchange {
 public:
  UpstreamExchange();
  ~UpstreamExchange();
  UpstreamExchange(const UpstreamExchange&) = delete;
  UpstreamExchange& operator=(const UpstreamExchange&) = delete;

  // Connects and sends the head; the whole body too, unless `chunked_body` (then send_chunk()
  // and end_body() follow; request.body is ignored).
  bool open(const UpstreamRequest& request, bool chunked_body);
  bool send_chunk(std::string_view data);  // empty data is skipped
  bool end_body();
  // The response's status and Ais-* fields into `response` (its body stays empty).
  bool read_head(UpstreamResponse& response);
  // The next response body bytes; 0 at the end. Throws std::runtime_error on failure.
  size_t read_body(std::span<char> buf);
  // The rest of the response body, appended to response.body.
  bool read_rest(UpstreamResponse& response);

  UpstreamFailure failure() const noexcept { return failure_; }
  const std::string& error() const noexcept { return error_; }

 private:
  class State;
  bool fail(UpstreamFailure kind, std::string what);
  std::unique_ptr<State> state_;
  UpstreamFailure failure_ = UpstreamFailure::none;
  std::string error_;
};

}  // namespace anvil::etl
