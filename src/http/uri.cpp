#include "anvil/http/uri.hpp"

#include <vector>

namespace anvil::http {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX; plus_is_space: '+' -> ' '. strict: a malformed escape fails; otherwise it is
// copied verbatim, as Python's unquote does.
bool decode(std::string_view in, std::string& out, bool plus_is_space, bool strict) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
      if (lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      if (strict) return false;
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return true;
}

bool always_safe(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '~';
}

void append_encoded(std::string& out, std::string_view in, std::string_view safe, bool plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (always_safe(c) || (c < 0x80 && safe.find(ch) != std::string_view::npos)) {
      out.push_back(ch);
    } else if (plus && c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
}

// Calls fn(pair, name, value) for each non-empty '&'-separated pair; name and value raw.
template <typename Fn>
void for_each_pair(std::string_view query, Fn&& fn) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      const std::string_view raw_name = pair.substr(0, eq);
      const std::string_view raw_value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      if (!fn(pair, raw_name, raw_value)) return;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  return decode(in, out, false, true);
}

bool percent_decode_query(std::string_view in, std::string& out) {
  return decode(in, out, true, true);
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  std::optional<std::string> found;
  std::string decoded_name;
  for_each_pair(query, [&](std::string_view, std::string_view raw_name, std::string_view raw) {
    decode(raw_name, decoded_name, true, false);
    if (decoded_name != name) return true;
    std::string value;
    decode(raw, value, true, false);
    found = std::move(value);
    return false;
  });
  return found;
}

std::string percent_encode(std::string_view in, std::string_view safe) {
  std::string out;
  out.reserve(in.size());
  append_encoded(out, in, safe, false);
  return out;
}

std::string percent_encode_query(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  append_encoded(out, in, {}, true);
  return out;
}

std::string query_set_param(std::string_view query, std::string_view name, std::string_view value) {
  std::string out;
  out.reserve(query.size() + name.size() + value.size() + 2);
  std::string decoded_name;
  for_each_pair(query, [&](std::string_view pair, std::string_view raw_name, std::string_view) {
    decode(raw_name, decoded_name, true, false);
    if (decoded_name != name) {
      if (!out.empty()) out.push_back('&');
      out.append(pair);
    }
    return true;
  });
  if (!out.empty()) out.push_back('&');
  append_encoded(out, name, {}, true);
  out.push_back('=');
  append_encoded(out, value, {}, true);
  return out;
}

std::optional<std::string> normalize_fqn(std::string_view decoded) {
  if (decoded.find('\0') != std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> parts;
  while (!decoded.empty()) {
    const size_t slash = decoded.find('/');
    const std::string_view part = decoded.substr(0, slash);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();  // ".." at the root stays at the root
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    decoded.remove_prefix(slash + 1);
  }
  std::string out;
  for (std::string_view part : parts) {
    out.push_back('/');
    out.append(part);
  }
  if (out.empty()) out = "/";
  return out;
}

}  // namespace anvil::http
