// SPEC §8 Reload: which keys a reload keeps at their running value, and how the
// changes it applies are described in its log line.
#include "proxyd/config/reload_diff.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace obp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kBase[] = R"(node_id = 1
listen = "127.0.0.1:2883"
grpc_listen = "127.0.0.1:2884"
threads = 2
log_level = "info"
wait_timeout_s = 0

[[tenant]]
name = "sys"
backends = [ { name = "primary", address = "127.0.0.1:3306" } ]

[[user]]
name = "app"
password = "app_pw"
)";

ProxyConfig Parse(const std::string& text, const Overrides& overrides = {}) {
  auto c = ParseConfig(text, "/etc/proxyd/proxyd.toml", overrides);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : ProxyConfig{};
}

std::string With(absl::string_view from, absl::string_view to) {
  return absl::StrReplaceAll(kBase, {{from, to}});
}

TEST(KeepRestartOnly, SameFileKeepsNothing) {
  ProxyConfig running = Parse(kBase);
  ProxyConfig next = Parse(kBase);
  EXPECT_THAT(KeepRestartOnly(running, next), IsEmpty());
}

TEST(KeepRestartOnly, TheFourSpecKeysKeepTheirRunningValue) {
  ProxyConfig running = Parse(kBase);
  std::string text = kBase;
  text = absl::StrReplaceAll(text, {{"node_id = 1", "node_id = 7"},
                                    {"127.0.0.1:2883", "127.0.0.1:3999"},
                                    {"127.0.0.1:2884", "127.0.0.1:4999"},
                                    {"threads = 2", "threads = 8"}});
  ProxyConfig next = Parse(text);
  EXPECT_THAT(KeepRestartOnly(running, next),
              ElementsAre("node_id (1 -> 7)", "listen (127.0.0.1:2883 -> 127.0.0.1:3999)",
                          "grpc_listen (127.0.0.1:2884 -> 127.0.0.1:4999)", "threads (2 -> 8)"));
  EXPECT_EQ(next.node_id, 1u);
  EXPECT_EQ(next.listen, "127.0.0.1:2883");
  EXPECT_EQ(next.grpc_listen, "127.0.0.1:2884");
  EXPECT_EQ(next.threads, 2);
}

TEST(KeepRestartOnly, ReloadableKeysPassThrough) {
  ProxyConfig running = Parse(kBase);
  ProxyConfig next = Parse(With("wait_timeout_s = 0", "wait_timeout_s = 5"));
  EXPECT_THAT(KeepRestartOnly(running, next), IsEmpty());
  EXPECT_EQ(next.wait_timeout_s, 5);
}

TEST(KeepRestartOnly, GrpcTlsIsKept) {
  ProxyConfig running = Parse(kBase);
  ProxyConfig next = Parse(absl::StrCat(
      kBase, "\n[grpc_tls]\ncert_file = \"/x/cert.pem\"\nkey_file = \"/x/key.pem\"\n"));
  EXPECT_THAT(KeepRestartOnly(running, next), ElementsAre("grpc_tls (off -> cert /x/cert.pem)"));
  EXPECT_FALSE(next.grpc_tls.enabled());
}

TEST(KeepRestartOnly, AFlagStillWinsOverTheFile) {
  // The node started with --listen; the same flag is applied again at reload, so
  // nothing differs even though the file names another address.
  Overrides flags{{"listen", "127.0.0.1:5000"}};
  ProxyConfig running = Parse(kBase, flags);
  ProxyConfig next = Parse(With("127.0.0.1:2883", "127.0.0.1:6000"), flags);
  EXPECT_THAT(KeepRestartOnly(running, next), IsEmpty());
  EXPECT_EQ(next.listen, "127.0.0.1:5000");
}

TEST(DescribeChanges, NothingChanged) {
  EXPECT_THAT(DescribeChanges(Parse(kBase), Parse(kBase)), IsEmpty());
}

TEST(DescribeChanges, UsersAdded) {
  ProxyConfig next =
      Parse(absl::StrCat(kBase, "\n[[user]]\nname = \"newbie\"\npassword = \"pw\"\n"));
  EXPECT_THAT(DescribeChanges(Parse(kBase), next), ElementsAre("users 1->2"));
}

TEST(DescribeChanges, PasswordChangedIsAUserChange) {
  ProxyConfig next = Parse(With("app_pw", "other_pw"));
  EXPECT_THAT(DescribeChanges(Parse(kBase), next), ElementsAre("users changed"));
}

TEST(DescribeChanges, BackendAddressIsATenantChange) {
  ProxyConfig next = Parse(With("127.0.0.1:3306", "127.0.0.1:3316"));
  EXPECT_THAT(DescribeChanges(Parse(kBase), next), ElementsAre("tenants changed"));
}

TEST(DescribeChanges, ScalarsShowOldAndNew) {
  ProxyConfig next = Parse(absl::StrReplaceAll(
      kBase, {{"log_level = \"info\"", "log_level = \"debug\""},
              {"wait_timeout_s = 0", "wait_timeout_s = 30"}}));
  EXPECT_THAT(DescribeChanges(Parse(kBase), next),
              ElementsAre("log_level info->debug", "wait_timeout_s 0->30"));
}

TEST(RestartOnlyKeys, StartsWithTheSpecsFour) {
  const auto& keys = RestartOnlyKeys();
  ASSERT_GE(keys.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(keys.begin(), keys.begin() + 4),
              ElementsAre("node_id", "listen", "grpc_listen", "threads"));
}

}  // namespace
}  // namespace obp::config
