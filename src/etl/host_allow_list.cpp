#include "host_allow_list.hpp"

#include "anvil/http/syntax.hpp"

namespace anvil::etl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool parse_port(std::string_view digits, uint16_t& port) {
  if (digits.empty() || digits.size() > 5) return false;
  uint32_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::optional<HostAllowList> HostAllowList::parse(std::string_view text, std::string* error) {
  HostAllowList list;
  auto bad = [&](std::string_view entry, std::string_view why) {
    if (error != nullptr) *error = "entry '" + std::string(entry) + "': " + std::string(why);
    return std::nullopt;
  };
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view entry = trim(rest.substr(0, comma));
    if (entry.empty()) return bad(entry, "empty");
    Entry parsed;
    if (entry == "*") {
      parsed.any_host = true;
    } else {
      std::string_view host = entry, port;
      if (entry.front() == '[') {
        const size_t close = entry.find(']');
        if (close == std::string_view::npos) return bad(entry, "no ']' after the IPv6 address");
        host = entry.substr(1, close - 1);
        const std::string_view after = entry.substr(close + 1);
        if (!after.empty()) {
          if (after.front() != ':') return bad(entry, "expected ':port' after ']'");
          port = after.substr(1);
          if (port.empty()) return bad(entry, "empty port");
        }
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos)
          return bad(entry, "not an IPv6 address");
      } else {
        if (entry.find('/') != std::string_view::npos)
          return bad(entry, "a host name or address, without scheme or path");
        const size_t colon = entry.find(':');
        if (colon != std::string_view::npos) {
          host = entry.substr(0, colon);
          port = entry.substr(colon + 1);
          if (port.empty()) return bad(entry, "empty port");
        }
        if (host.empty()) return bad(entry, "empty host");
        for (const char c : host)
          if (!host_char(c)) return bad(entry, "a host name or address, without scheme or path");
      }
      if (!port.empty() && !parse_port(port, parsed.port))
        return bad(entry, "port must be 1..65535");
      parsed.host = lower(host);
    }
    list.entries_.push_back(std::move(parsed));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return list;
}

bool HostAllowList::allows(std::string_view host, uint16_t port) const noexcept {
  for (const Entry& entry : entries_) {
    if (entry.any_host) return true;
    if (entry.port != 0 && entry.port != port) continue;
    if (http::syntax::iequals(entry.host, host)) return true;
  }
  return false;
}

}  // namespace anvil::etl
