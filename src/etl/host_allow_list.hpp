#pragma once

// Private to the etl module: which hosts the server may send requests to on a client's word
// (direct-put hops named in Ais-Node-Url, POST /download's original_url).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anvil::etl {

class HostAllowList {
 public:
  // Comma-separated entries: `*` (any host), `host` (any port) or `host:port`; an IPv6
  // literal in brackets (`[::1]`, `[::1]:8000`). Host names compare case-insensitively, as DNS
  // does. nullopt, with *error naming the bad entry, for anything else (an empty entry, a
  // scheme or path, a port outside 1..65535).
  static std::optional<HostAllowList> parse(std::string_view text, std::string* error);

  // `host` as http::Url holds it: an IPv6 literal without brackets.
  bool allows(std::string_view host, uint16_t port) const noexcept;

 private:
  struct Entry {
    std::string host;   // lower case; IPv6 without brackets; empty with any_host
    uint16_t port = 0;  // 0: any port
    bool any_host = false;
  };
  std::vector<Entry> entries_;
};

}  // namespace anvil::etl
