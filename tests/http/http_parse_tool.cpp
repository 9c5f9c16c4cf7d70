// anvil-http-parse-tool: runs anvil::http::ResponseParser over one connection's bytes so an
// independent implementation (Python h11, tests/http/test_h11_oracle.py) can check it.
//
//   anvil-http-parse-tool [--methods GET,HEAD,...] [--split N] < wire
//       stdin is everything the server sent on one connection, then EOF. The i-th final
//       response answers the i-th method (missing entries: GET; only HEAD changes framing).
//       --split N feeds the bytes in reads of N bytes (0: one read), keeping unconsumed bytes
//       in a buffer the way the load generator's connection does.
//   anvil-http-parse-tool --batch < cases
//       stdin holds many cases, each `<methods|-> <split> <length>\n` followed by <length> raw
//       bytes; each output line carries "case": its index.
//
// Output, one JSON object per line:
//   per final response: status, version ("1.x"), reason, headers [[name, value], ...], body
//     (hex), keep_alive, interim (1xx skipped before it), framing, framing_conflict. Strings are
//     the raw bytes read as Latin-1 (so obs-text survives JSON).
//   then exactly one of
//     {"end":"ok"}            the peer closed between responses (finish_eof found no bytes)
//     {"end":"eof_complete"}  the close ended an until-close body (RFC 9112 §6.3 item 8)
//     {"end":"closed","unread":N}  a response ended with keep_alive off and N more bytes
//                                  followed; a client closes the connection, so they are unread
//     {"error":"<to_string(ParseError)>"}
// A broken parser invariant (consumed beyond the input, a body view outside it) prints a message
// on stderr and exits with status 3.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/http/response_parser.hpp"

namespace {

using anvil::http::ResponseParser;
using Event = anvil::http::ResponseParser::Event;

struct Case {
  std::vector<bool> head_requests;
  size_t split = 0;
  std::string wire;
};

[[noreturn]] void invariant_broken(const char* what) {
  std::fprintf(stderr, "anvil-http-parse-tool: parser invariant broken: %s\n", what);
  std::exit(3);
}

size_t parse_size(std::string_view text, std::string_view what) {
  size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    throw std::runtime_error("bad " + std::string(what) + ": '" + std::string(text) + "'");
  }
  return value;
}

std::vector<bool> parse_methods(std::string_view list) {
  std::vector<bool> heads;
  if (list == "-" || list.empty()) return heads;
  for (;;) {
    const size_t comma = list.find(',');
    heads.push_back(list.substr(0, comma) == "HEAD");
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return heads;
}

// Bytes as Latin-1 code points, encoded in UTF-8: lossless for any byte and valid JSON text.
std::string latin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

class Runner {
 public:
  Runner(const Case& c, std::optional<size_t> index, std::string& out)
      : case_(c), index_(index), out_(out) {}

  void run() {
    parser_.start(is_head());
    const std::string_view wire = case_.wire;
    const size_t step = case_.split == 0 ? std::max<size_t>(wire.size(), 1) : case_.split;
    for (size_t at = 0; at < wire.size(); at += step) {
      pending_.append(wire.substr(at, step));
      fed_ += std::min(step, wire.size() - at);
      if (!pump()) return;
    }
    const ResponseParser::Step s = parser_.finish_eof();
    switch (s.event) {
      case Event::complete:
        emit_response();
        emit({{"end", "eof_complete"}});
        return;
      case Event::need_more:
        emit({{"end", "ok"}});
        return;
      case Event::error:
        emit({{"error", anvil::http::to_string(parser_.error())}});
        return;
      case Event::head:
      case Event::body:
        invariant_broken("finish_eof returned head or body");
    }
  }

 private:
  bool is_head() const {
    return responses_ < case_.head_requests.size() && case_.head_requests[responses_];
  }

  // Runs the parser over `pending_` until it needs more bytes; false: the case is finished.
  bool pump() {
    for (;;) {
      // An exactly sized heap copy, so a sanitizer build catches any read past the input.
      const size_t size = pending_.size();
      const std::unique_ptr<char[]> copy(new char[size == 0 ? 1 : size]);
      if (size != 0) std::memcpy(copy.get(), pending_.data(), size);
      const std::string_view input(copy.get(), size);
      const ResponseParser::Step s = parser_.next(input);
      if (s.consumed > input.size()) invariant_broken("consumed beyond the input");
      if (!s.body.empty()) {
        if (s.body.data() < input.data() ||
            s.body.data() + s.body.size() > input.data() + s.consumed) {
          invariant_broken("body view outside the consumed input");
        }
        body_.append(s.body);
      }
      switch (s.event) {
        case Event::head:
          if (s.consumed == 0) invariant_broken("head consumed nothing");
          record_head();
          break;
        case Event::body:
          if (s.consumed == 0) invariant_broken("body consumed nothing");
          break;
        case Event::complete: {
          if (parser_.body_bytes() != body_.size()) invariant_broken("body_bytes mismatch");
          const bool keep_alive = head_["keep_alive"].get<bool>();
          emit_response();
          pending_.erase(0, s.consumed);
          ++responses_;
          // A client closes a connection whose response said so (RFC 9112 §9.6); whatever
          // followed is never parsed.
          const size_t unread = case_.wire.size() - (fed_ - pending_.size());
          if (!keep_alive && unread != 0) {
            emit({{"end", "closed"}, {"unread", unread}});
            return false;
          }
          parser_.start(is_head());
          continue;
        }
        case Event::error:
          if (parser_.error() == anvil::http::ParseError::none) invariant_broken("error: none");
          emit({{"error", anvil::http::to_string(parser_.error())}});
          return false;
        case Event::need_more:
          pending_.erase(0, s.consumed);
          return true;
      }
      pending_.erase(0, s.consumed);
    }
  }

  void record_head() {
    const anvil::http::ResponseHead& h = parser_.head();
    nlohmann::json headers = nlohmann::json::array();
    for (const anvil::http::Header& f : h.headers())
      headers.push_back({latin1(f.name), latin1(f.value)});
    head_ = {{"status", h.status},
             {"version", "1." + std::to_string(h.minor_version)},
             {"reason", latin1(h.reason)},
             {"headers", std::move(headers)},
             {"keep_alive", h.keep_alive},
             {"interim", parser_.interim_count()},
             {"framing", anvil::http::to_string(h.framing)},
             {"framing_conflict", h.framing_conflict}};
    body_.clear();
  }

  void emit_response() {
    nlohmann::json j = std::move(head_);
    j["body"] = hex(body_);
    head_ = nlohmann::json();
    body_.clear();
    emit(std::move(j));
  }

  void emit(nlohmann::json j) {
    if (index_) j["case"] = *index_;
    out_ += j.dump();
    out_ += '\n';
  }

  const Case& case_;
  std::optional<size_t> index_;
  std::string& out_;
  ResponseParser parser_;
  std::string pending_;  // bytes read but not consumed by the parser
  size_t fed_ = 0;       // bytes of the wire appended to pending_ so far
  size_t responses_ = 0;
  nlohmann::json head_;
  std::string body_;
};

std::string read_all(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `<methods|-> <split> <length>\n<bytes>` records, back to back.
std::vector<Case> parse_batch(std::string_view input) {
  std::vector<Case> cases;
  while (!input.empty()) {
    const size_t eol = input.find('\n');
    if (eol == std::string_view::npos) throw std::runtime_error("batch: header without newline");
    std::string_view header = input.substr(0, eol);
    input.remove_prefix(eol + 1);
    std::string_view fields[3];
    for (std::string_view& field : fields) {
      const size_t sp = header.find(' ');
      field = header.substr(0, sp);
      header = sp == std::string_view::npos ? std::string_view() : header.substr(sp + 1);
    }
    if (!header.empty()) throw std::runtime_error("batch: extra fields in a case header");
    Case c;
    c.head_requests = parse_methods(fields[0]);
    c.split = parse_size(fields[1], "split");
    const size_t length = parse_size(fields[2], "length");
    if (length > input.size()) throw std::runtime_error("batch: case longer than the input");
    c.wire = std::string(input.substr(0, length));
    input.remove_prefix(length);
    cases.push_back(std::move(c));
  }
  return cases;
}

int run(int argc, char** argv) {
  bool batch = false;
  Case single;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--batch") {
      batch = true;
      continue;
    }
    if (i + 1 >= argc) throw std::runtime_error("missing value for " + std::string(flag));
    const std::string_view value = argv[++i];
    if (flag == "--methods") {
      single.head_requests = parse_methods(value);
    } else if (flag == "--split") {
      single.split = parse_size(value, "--split");
    } else {
      throw std::runtime_error("unknown option " + std::string(flag));
    }
  }
  const std::string input = read_all(std::cin);
  std::string out;
  if (batch) {
    const std::vector<Case> cases = parse_batch(input);
    for (size_t k = 0; k < cases.size(); ++k)
      Runner(cases[k], k, out).run();
  } else {
    single.wire = input;
    Runner(single, std::nullopt, out).run();
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anvil-http-parse-tool: %s\n", e.what());
    return 2;
  }
}
