#pragma once

// Debian's libhttp-parser (nodejs/http-parser 2.9) as an independent oracle for the
// differential tests of both parsers: it runs one connection's bytes and records the messages
// in the same shape as the test drivers (field values OWS-trimmed, trailers discarded).

#include <http_parser.h>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/http/parse_error.hpp"
#include "anvil/http/syntax.hpp"

namespace anvil::http::test {

struct OracleMessage {
  int status = 0;           // responses
  std::string method, url;  // requests
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
};

struct OracleResult {
  std::vector<OracleMessage> messages;  // responses: 1xx interim messages dropped
  bool error = false;
};

class HttpParserOracle {
 public:
  // HTTP_REQUEST or HTTP_RESPONSE.
  explicit HttpParserOracle(http_parser_type type) : type_(type) {}

  const char* last_error() const { return http_errno_name(HTTP_PARSER_ERRNO(&parser_)); }

  // head_requests (responses only): which final responses answer a HEAD. eof: the peer
  // closes after `wire`.
  OracleResult run(std::string_view wire, bool eof, const std::vector<bool>& head_requests = {}) {
    head_requests_ = head_requests;
    final_index_ = 0;
    result_ = {};
    http_parser_init(&parser_, type_);
    parser_.data = this;
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = [](http_parser* p) { return self(p)->begin(); };
    s.on_url = [](http_parser* p, const char* at, size_t n) {
      self(p)->current_.url.append(at, n);
      return 0;
    };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
      return self(p)->field(at, n);
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
      return self(p)->value(at, n);
    };
    s.on_headers_complete = [](http_parser* p) { return self(p)->headers_complete(); };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
      self(p)->current_.body.append(at, n);
      return 0;
    };
    s.on_message_complete = [](http_parser* p) { return self(p)->complete(); };
    const size_t n = http_parser_execute(&parser_, &s, wire.data(), wire.size());
    if (n != wire.size() || HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
      result_.error = true;
      return result_;
    }
    if (eof) {
      http_parser_execute(&parser_, &s, nullptr, 0);
      if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) result_.error = true;
    }
    return result_;
  }

 private:
  static HttpParserOracle* self(http_parser* p) { return static_cast<HttpParserOracle*>(p->data); }
  bool interim() const {
    return type_ == HTTP_RESPONSE && current_.status >= 100 && current_.status < 200 &&
           current_.status != 101;
  }
  int begin() {
    current_ = {};
    in_value_ = false;
    in_trailers_ = false;
    return 0;
  }
  int field(const char* at, size_t n) {
    if (in_trailers_) return 0;  // trailers are discarded, as anvil does
    if (in_value_ || current_.headers.empty()) current_.headers.emplace_back();
    in_value_ = false;
    current_.headers.back().first.append(at, n);
    return 0;
  }
  int value(const char* at, size_t n) {
    if (in_trailers_) return 0;
    in_value_ = true;
    current_.headers.back().second.append(at, n);
    return 0;
  }
  int headers_complete() {
    in_trailers_ = true;
    for (auto& h : current_.headers)
      h.second = std::string(syntax::trim_ows(h.second));
    if (type_ == HTTP_REQUEST) {
      current_.method = http_method_str(static_cast<http_method>(parser_.method));
      return 0;
    }
    current_.status = static_cast<int>(parser_.status_code);
    // 1: no body, as the library documents; the caller (node, in its case) decides it for
    // HEAD and for 204/304 with a Content-Length (RFC 9112 §6.3 item 1).
    if (current_.status == 204 || current_.status == 304) return 1;
    if (!interim() && final_index_ < head_requests_.size() && head_requests_[final_index_]) {
      return 1;
    }
    return 0;
  }
  int complete() {
    if (!interim()) {
      current_.keep_alive = http_should_keep_alive(&parser_) != 0;
      result_.messages.push_back(current_);
      ++final_index_;
    }
    return 0;
  }

  http_parser_type type_;
  http_parser parser_{};
  std::vector<bool> head_requests_;
  size_t final_index_ = 0;
  OracleMessage current_;
  bool in_value_ = false;
  bool in_trailers_ = false;
  OracleResult result_;
};

// Both parsers agree on the verdict and on every message. same_start_line(ours, oracle)
// compares what differs between requests and responses.
template <typename Message, typename SameStartLine>
void expect_same(const std::vector<Message>& ours, ParseError our_error, const OracleResult& oracle,
                 const HttpParserOracle& parser, const std::string& wire,
                 SameStartLine&& same_start_line) {
  ASSERT_EQ(our_error == ParseError::none, !oracle.error)
      << "ours: " << to_string(our_error) << ", oracle: " << parser.last_error() << "\n"
      << ::testing::PrintToString(wire);
  ASSERT_EQ(ours.size(), oracle.messages.size()) << ::testing::PrintToString(wire);
  for (size_t i = 0; i < ours.size(); ++i) {
    const Message& a = ours[i];
    const OracleMessage& b = oracle.messages[i];
    same_start_line(a, b);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.keep_alive, b.keep_alive) << ::testing::PrintToString(wire);
  }
}

}  // namespace anvil::http::test
