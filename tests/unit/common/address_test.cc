#include "common/core/address.h"

#include "gtest/gtest.h"

namespace obp {
namespace {

struct Good {
  const char* text;
  const char* host;
  uint16_t port;
};

TEST(ParseHostPort, AcceptsNamesIpv4AndBracketedIpv6) {
  for (const Good& g : {Good{"127.0.0.1:3306", "127.0.0.1", 3306},
                        Good{"localhost:1", "localhost", 1}, Good{"[::1]:3306", "::1", 3306},
                        Good{"db-1.example_x.local:65535", "db-1.example_x.local", 65535},
                        Good{"[fe80::1%eth0]:80", "fe80::1%eth0", 80},
                        Good{"[::ffff:10.0.0.1]:5", "::ffff:10.0.0.1", 5}, Good{"h:007", "h", 7}}) {
    auto hp = ParseHostPort(g.text);
    ASSERT_TRUE(hp.ok()) << g.text << ": " << hp.status();
    EXPECT_EQ(hp->host, g.host) << g.text;
    EXPECT_EQ(hp->port, g.port) << g.text;
  }
}

TEST(ParseHostPort, RefusesMalformed) {
  for (const char* bad :
       {"",        "abc",       ":3306",    "host:",    "host:0",    "host:65536", "host:99999999",
        "host:-1", "host:+80",  "host: 80", "host:80 ", " host:80",  "host:8a",    "::1:3306",
        "[::1]",   "[::1]3306", "[]:80",    "[::1:80",  "[host]:80", "a b:80",     "host:80:90",
        "[::1]:",  "host:0x50", "ho/st:1"}) {
    auto hp = ParseHostPort(bad);
    ASSERT_FALSE(hp.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(hp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(hp.status().message(), std::string("expected \"HOST:PORT\", got \"") + bad + "\"");
  }
}

TEST(HostPort, ToStringRoundTrips) {
  for (const char* text : {"127.0.0.1:3306", "[::1]:3306", "localhost:1"}) {
    auto hp = ParseHostPort(text);
    ASSERT_TRUE(hp.ok());
    EXPECT_EQ(hp->ToString(), text);
  }
}

}  // namespace
}  // namespace obp
