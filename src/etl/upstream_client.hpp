#pragma once

// Private to the etl module: the blocking HTTP/1.1 client a worker uses to reach the AIS
// target (hpull GET) and the next hop (direct put). It runs on worker threads only.

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

}  // namespace anvil::etl
