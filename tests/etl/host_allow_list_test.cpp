#include "host_allow_list.hpp"

#include <gtest/gtest.h>

#include <string>

namespace anvil::etl {
namespace {

HostAllowList parsed(std::string_view text) {
  std::string error;
  auto list = HostAllowList::parse(text, &error);
  EXPECT_TRUE(list.has_value()) << text << ": " << error;
  return list.value_or(*HostAllowList::parse("none.invalid:1", nullptr));
}

TEST(HostAllowList, HostsPortsAndCase) {
  const HostAllowList list = parsed(" Target-1.AIS.local , 10.0.0.7:8000,[::1]:9000,[fe80::1]");
  EXPECT_TRUE(list.allows("target-1.ais.local", 80));
  EXPECT_TRUE(list.allows("TARGET-1.ais.local", 51080));
  EXPECT_TRUE(list.allows("10.0.0.7", 8000));
  EXPECT_FALSE(list.allows("10.0.0.7", 8001));
  EXPECT_FALSE(list.allows("10.0.0.70", 8000));
  EXPECT_TRUE(list.allows("::1", 9000));
  EXPECT_FALSE(list.allows("::1", 9001));
  EXPECT_TRUE(list.allows("FE80::1", 443));
  EXPECT_FALSE(list.allows("target-1.ais.local.evil.com", 80));
  EXPECT_FALSE(list.allows("", 80));
}

TEST(HostAllowList, StarAllowsAny) {
  const HostAllowList list = parsed("*");
  EXPECT_TRUE(list.allows("anything.example", 1));
  EXPECT_TRUE(list.allows("::1", 65535));
}

TEST(HostAllowList, BadEntriesNameWhatIsWrong) {
  for (const auto& [text, why] : std::initializer_list<std::pair<const char*, const char*>>{
           {"", "entry '': empty"},
           {"a,,b", "entry '': empty"},
           {"a,", "entry '': empty"},
           {"http://h", "entry 'http://h': a host name or address, without scheme or path"},
           {"h/path", "entry 'h/path': a host name or address, without scheme or path"},
           {"h:", "entry 'h:': empty port"},
           {":80", "entry ':80': empty host"},
           {"h:0", "entry 'h:0': port must be 1..65535"},
           {"h:65536", "entry 'h:65536': port must be 1..65535"},
           {"h:8x", "entry 'h:8x': port must be 1..65535"},
           {"[::1", "entry '[::1': no ']' after the IPv6 address"},
           {"[::1]8000", "entry '[::1]8000': expected ':port' after ']'"},
           {"[]", "entry '[]': not an IPv6 address"},
           {"[::g]", "entry '[::g]': not an IPv6 address"},
           {"a b", "entry 'a b': a host name or address, without scheme or path"},
       }) {
    std::string error;
    EXPECT_FALSE(HostAllowList::parse(text, &error).has_value()) << text;
    EXPECT_EQ(error, why) << text;
  }
}

}  // namespace
}  // namespace anvil::etl
