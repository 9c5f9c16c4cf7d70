#include "anvil/ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anvil::ws {
namespace {

TEST(Handshake, AcceptKeyRfc6455Example) {
  // §1.3 and §4.2.2.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(accept_key(" \tdGhlIHNhbXBsZSBub25jZQ== "), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // A second, independently published pair (Wikipedia "WebSocket", protocol handshake).
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(Handshake, AcceptKeyRejectsKeysThatAreNotSixteenBytes) {
  for (const char* key :
       {"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQ",
        "dGhlIHNhbXBsZSBub25jZQAA", "dGhlIHNhbXBsZSBub25j*Q==", "dGhlIHNhbXBsZSBub25jZ=Q=",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dGhlIHNhbXBs ZSBub25jZQ=="}) {
    EXPECT_EQ(accept_key(key), std::nullopt) << key;
  }
}

UpgradeRequest good() {
  return {"GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=="};
}

TEST(Handshake, CheckUpgrade) {
  struct Case {
    const char* name;
    void (*edit)(UpgradeRequest&);
    HandshakeError want;
  };
  const std::vector<Case> cases = {
      {"good", [](UpgradeRequest&) {}, HandshakeError::none},
      {"token_lists_and_case",
       [](UpgradeRequest& r) {
         r.upgrade = "foo/2, WebSocket";
         r.connection = "keep-alive,  upgrade ";
       },
       HandshakeError::none},
      {"http_1_2", [](UpgradeRequest& r) { r.http_version = "HTTP/1.2"; }, HandshakeError::none},
      {"post", [](UpgradeRequest& r) { r.method = "POST"; }, HandshakeError::not_get},
      {"lowercase_get", [](UpgradeRequest& r) { r.method = "get"; }, HandshakeError::not_get},
      {"http_1_0", [](UpgradeRequest& r) { r.http_version = "HTTP/1.0"; },
       HandshakeError::bad_http_version},
      {"no_upgrade", [](UpgradeRequest& r) { r.upgrade = ""; }, HandshakeError::no_upgrade},
      {"upgrade_h2c", [](UpgradeRequest& r) { r.upgrade = "h2c"; }, HandshakeError::no_upgrade},
      {"upgrade_substring", [](UpgradeRequest& r) { r.upgrade = "websocketx"; },
       HandshakeError::no_upgrade},
      {"connection_keep_alive", [](UpgradeRequest& r) { r.connection = "keep-alive"; },
       HandshakeError::no_connection_upgrade},
      {"no_version", [](UpgradeRequest& r) { r.version = ""; }, HandshakeError::missing_version},
      {"version_8", [](UpgradeRequest& r) { r.version = "8"; },
       HandshakeError::unsupported_version},
      {"version_list", [](UpgradeRequest& r) { r.version = "13, 8"; },
       HandshakeError::unsupported_version},
      {"no_key", [](UpgradeRequest& r) { r.key = ""; }, HandshakeError::bad_key},
      {"short_key", [](UpgradeRequest& r) { r.key = "c2hvcnQ="; }, HandshakeError::bad_key},
  };
  for (const Case& c : cases) {
    UpgradeRequest r = good();
    c.edit(r);
    EXPECT_EQ(check_upgrade(r), c.want) << c.name << " got " << to_string(check_upgrade(r));
  }
}

TEST(Handshake, Responses) {
  EXPECT_EQ(switching_protocols_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  EXPECT_EQ(rejection_status(HandshakeError::unsupported_version), 426);
  EXPECT_EQ(rejection_status(HandshakeError::bad_key), 400);
  EXPECT_EQ(rejection_status(HandshakeError::missing_version), 400);
  const std::string r426 = rejection_response(HandshakeError::unsupported_version);
  EXPECT_EQ(r426.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u);
  EXPECT_NE(r426.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  const std::string r400 = rejection_response(HandshakeError::no_upgrade);
  EXPECT_EQ(r400.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(r400.find("Sec-WebSocket-Version"), std::string::npos);
  EXPECT_TRUE(r400.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace anvil::ws
