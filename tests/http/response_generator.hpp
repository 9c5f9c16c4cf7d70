#pragma once

// Random valid HTTP/1.1 responses for differential tests, with the expected parse.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "anvil/http/fields.hpp"
#include "http/random_source.hpp"

namespace anvil::http::test {

struct Generated {
  std::string wire;
  bool head_request = false;
  bool until_close = false;  // body ends at EOF: must be the last response on a connection
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, values OWS-trimmed
  std::string body;
  bool keep_alive = true;
};

class ResponseGenerator : public RandomSource {
 public:
  explicit ResponseGenerator(uint64_t seed) : RandomSource(seed) {}

  // allow_until_close: may produce a body delimited by EOF.
  Generated next(bool allow_until_close) {
    Generated g;
    const bool http10 = chance(10);
    static constexpr int kStatuses[] = {200, 200, 200, 201, 202, 204, 206, 301,
                                        302, 304, 400, 404, 418, 500, 503, 299};
    g.status = kStatuses[pick(std::size(kStatuses))];
    g.head_request = chance(10);
    if (chance(10)) g.wire += "HTTP/1.1 100 Continue\r\n\r\n";
    g.wire += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    g.wire += std::to_string(g.status);
    g.wire += chance(5) ? " " : " Some Reason";
    g.wire += "\r\n";

    const bool no_body = g.head_request || g.status == 204 || g.status == 304;
    // Framing: 0 length, 1 chunked, 2 until close.
    int framing = static_cast<int>(pick(2));
    if (allow_until_close && chance(15)) framing = 2;
    std::string body = random_body();
    // none, close, keep-alive, both (HTTP/1.0 keeps to the first three: libhttp-parser lets
    // keep-alive win over close there, an intended difference tested separately).
    const int connection = static_cast<int>(pick(http10 ? 3 : 4));
    if (http10 && framing == 1) framing = 0;  // no chunked in 1.0 responses

    std::vector<std::pair<std::string, std::string>> fields;
    const int extra = static_cast<int>(pick(8));
    for (int i = 0; i < extra; ++i)
      fields.emplace_back(random_name(), random_value(30));
    if (framing == 0)
      fields.emplace_back(chance(50) ? "Content-Length" : "content-length",
                          std::to_string(body.size()));
    if (framing == 1) fields.emplace_back("Transfer-Encoding", chance(50) ? "chunked" : "Chunked");
    if (connection == 1) fields.emplace_back("Connection", "close");
    if (connection == 2) fields.emplace_back("Connection", "keep-alive");
    if (connection == 3) fields.emplace_back("Connection", "Keep-Alive, close");
    std::shuffle(fields.begin(), fields.end(), rng_);
    for (const auto& [name, value] : fields) {
      // libhttp-parser 2.9 rejects HTAB around a Content-Length value and misses "chunked" or
      // "close" followed by HTAB (RFC 9110 allows OWS, HTAB included): the oracle is wrong
      // there, so the framing fields get SP only.
      const bool sp_only = name.size() == 14 || name.size() == 17 || name == "Connection";
      g.wire += name;
      g.wire += ':';
      g.wire += random_ows(sp_only);
      g.wire += value;
      g.wire += random_ows(sp_only);
      g.wire += "\r\n";
    }
    g.wire += "\r\n";
    g.headers = fields;

    if (framing == 2 && !no_body) {
      g.until_close = true;
      g.keep_alive = false;
    } else if (http10) {
      g.keep_alive = connection == 2;
    } else {
      g.keep_alive = connection != 1 && connection != 3;
    }
    if (no_body) return g;
    g.body = body;
    if (framing == 1) {
      size_t at = 0;
      while (at < body.size()) {
        const size_t n = std::min(body.size() - at, 1 + pick(40));
        char hex[32];
        std::snprintf(hex, sizeof hex, chance(50) ? "%zx" : "%zX", n);
        g.wire += hex;
        if (chance(20)) g.wire += ";ext=1;q=\"a b\"";
        g.wire += "\r\n";
        g.wire += body.substr(at, n);
        g.wire += "\r\n";
        at += n;
      }
      g.wire += "0\r\n";
      if (chance(25)) g.wire += "X-Checksum: abc\r\nX-Other: 1\r\n";
      g.wire += "\r\n";
    } else {
      g.wire += body;
    }
    return g;
  }

 private:
  std::string random_body() {
    const size_t n = chance(20) ? 0 : pick(chance(10) ? 2000 : 60);
    std::string s(n, '\0');
    for (char& c : s)
      c = static_cast<char>(pick(256));
    return s;
  }
  std::string random_name() {
    static const char* kNames[] = {"Server",  "Date",          "Content-Type", "X-Request-Id",
                                   "ETag",    "Cache-Control", "Set-Cookie",   "Vary",
                                   "X_Under", "x-a.b~c"};
    return kNames[pick(std::size(kNames))];
  }
  std::string random_ows(bool sp_only) {
    static const char* kOws[] = {"", " ", "  ", "", "\t", " \t "};
    return kOws[pick(sp_only ? 3 : std::size(kOws))];
  }
};

}  // namespace anvil::http::test
