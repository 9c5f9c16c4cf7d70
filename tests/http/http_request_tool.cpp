// anvil-http-request-tool: drives anvil::http::RequestParser and the URI helpers from the
// outside so independent implementations (Python h11 and urllib.parse, in
// tests/http/test_h11_request_oracle.py) can check them.
//
//   anvil-http-request-tool parse < cases
//       One JSON object per input line: {"wire": hex, "split": N} (N: read size, 0 = one read).
//       The wire is one client connection, then EOF. Output, one line per case:
//       {"requests": [{method, target, version ("1.x"), headers [[name, value]], body (hex),
//         keep_alive, framing, expect_continue, upgrade_websocket}], "error": name or null,
//        "status": the status to answer (0 when no error), "end": "ok" | "closed" | "error"}.
//       Strings are the raw bytes read as Latin-1. Parsing stops after a request that does
//       not keep the connection alive ("closed"), as a server would.
//   anvil-http-request-tool uri < calls
//       One JSON object per line: {"op": name, "a": hex, "b": hex, "c": hex}; output
//       {"result": hex or null}. ops: decode (percent_decode a), decode_query, query_param
//       (a=query, b=name), quote (a, safe=b), quote_plus (a), set_param (a=query, b=name,
//       c=value), normalize_fqn (a).
// A broken parser invariant prints a message on stderr and exits with status 3.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "anvil/http/request_parser.hpp"
#include "anvil/http/uri.hpp"

namespace {

using anvil::http::BodyFraming;
using anvil::http::ParseError;
using anvil::http::RequestParser;
using nlohmann::json;

std::string from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length");
  std::string out;
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex");
  };
  for (size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

// Latin-1 -> UTF-8, so every byte survives as one JSON code point.
std::string latin1(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::exit(3);
}

json parse_case(const std::string& wire, size_t split) {
  RequestParser parser;
  json requests = json::array();
  json current;
  std::string body;
  std::string pending;
  size_t at = 0;
  auto error_result = [&](ParseError e) {
    return json{{"requests", requests},
                {"error", anvil::http::to_string(e)},
                {"status", anvil::http::request_error_status(e)},
                {"end", "error"}};
  };
  for (;;) {
    const bool more_input = at < wire.size();
    if (more_input) {
      const size_t n = split == 0 ? wire.size() - at : std::min(split, wire.size() - at);
      pending.append(wire, at, n);
      at += n;
    }
    for (;;) {
      const RequestParser::Step step = parser.next(pending);
      if (step.consumed > pending.size()) broken("consumed beyond input");
      if (!step.body.empty()) {
        if (step.body.data() < pending.data() ||
            step.body.data() + step.body.size() > pending.data() + step.consumed) {
          broken("body view outside consumed input");
        }
        body.append(step.body);
      }
      if (step.event == RequestParser::Event::error) return error_result(parser.error());
      if (step.event == RequestParser::Event::head) {
        const auto& h = parser.head();
        json headers = json::array();
        for (const auto& f : h.headers())
          headers.push_back({latin1(f.name), latin1(f.value)});
        current = {{"method", latin1(h.method)},
                   {"target", latin1(h.target)},
                   {"version", "1." + std::to_string(h.minor_version)},
                   {"headers", headers},
                   {"keep_alive", h.keep_alive},
                   {"framing", anvil::http::to_string(h.framing)},
                   {"expect_continue", h.expect_continue},
                   {"upgrade_websocket", h.upgrade_websocket}};
      }
      pending.erase(0, step.consumed);
      if (step.event == RequestParser::Event::complete) {
        current["body"] = to_hex(body);
        body.clear();
        const bool keep_alive = current["keep_alive"].get<bool>();
        requests.push_back(current);
        if (!keep_alive)
          return {{"requests", requests}, {"error", nullptr}, {"status", 0}, {"end", "closed"}};
        parser.start();
        continue;
      }
      if (step.event == RequestParser::Event::need_more) break;
    }
    if (!more_input) break;
  }
  const RequestParser::Step last = parser.finish_eof();
  if (last.event == RequestParser::Event::error) return error_result(parser.error());
  return {{"requests", requests}, {"error", nullptr}, {"status", 0}, {"end", "ok"}};
}

json uri_call(const json& call) {
  const std::string op = call.at("op").get<std::string>();
  auto arg = [&](const char* key) {
    return call.contains(key) ? from_hex(call.at(key).get<std::string>()) : std::string();
  };
  const std::string a = arg("a"), b = arg("b"), c = arg("c");
  std::optional<std::string> result;
  std::string out;
  if (op == "decode") {
    if (anvil::http::percent_decode(a, out)) result = out;
  } else if (op == "decode_query") {
    if (anvil::http::percent_decode_query(a, out)) result = out;
  } else if (op == "query_param") {
    result = anvil::http::query_param(a, b);
  } else if (op == "quote") {
    result = anvil::http::percent_encode(a, b);
  } else if (op == "quote_plus") {
    result = anvil::http::percent_encode_query(a);
  } else if (op == "set_param") {
    result = anvil::http::query_set_param(a, b, c);
  } else if (op == "normalize_fqn") {
    result = anvil::http::normalize_fqn(a);
  } else {
    throw std::runtime_error("unknown op " + op);
  }
  return {{"result", result ? json(to_hex(*result)) : json(nullptr)}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc != 2) throw std::runtime_error("usage: anvil-http-request-tool parse|uri < input");
    const std::string mode = argv[1];
    if (mode != "parse" && mode != "uri") throw std::runtime_error("unknown mode " + mode);
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.empty()) continue;
      const json in = json::parse(line);
      const json out = mode == "parse" ? parse_case(from_hex(in.at("wire").get<std::string>()),
                                                    in.value("split", size_t{0}))
                                       : uri_call(in);
      std::cout << out.dump() << '\n';
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anvil-http-request-tool: %s\n", e.what());
    return 2;
  }
}
