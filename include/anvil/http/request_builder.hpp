#pragma once

#include <string>
#include <utility>
#include <vector>

#include "anvil/http/url.hpp"

namespace anvil::http {

// A request as the user describes it; serialized once, before a run.
struct RequestSpec {
  std::string method = "GET";
  std::string target;  // origin-form; empty: the URL's target
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The request's bytes: request line, then Host (unless given), the user's headers in order,
// User-Agent: anvil/0.1 (unless given), Content-Length when there is a body or the method is
// PUT/POST/PATCH (unless given, in which case it must match the body), Connection: close
// when !keep_alive (unless a Connection header is given), the blank line and the body.
// Throws std::invalid_argument naming the culprit for: a method or header name that is not a
// token, a target with whitespace/CTLs or not starting with '/', header values with CR, LF,
// NUL or other CTLs, a Transfer-Encoding header (bodies are always sent with Content-Length),
// a Content-Length that disagrees with the body.
std::string serialize_request(const RequestSpec& spec, const Url& url, bool keep_alive);

}  // namespace anvil::http
