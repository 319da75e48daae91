// Flag overrides: AddOverrideFlags registers them, ParseConfig applies them over the file.
#include <vector>

#include <CLI/CLI.hpp>

#include "gtest/gtest.h"
#include "proxyd/config/config.h"

namespace obp::config {
namespace {

constexpr char kFile[] = R"(node_id = 1
listen = "127.0.0.1:2883"
grpc_listen = "127.0.0.1:2884"
fleet_file = "fleet.toml"
[[tenant]]
name = "sys"
backends = [{name="b", address="h:1"}]
[[tenant]]
name = "t2"
backends = [{name="b", address="h:2"}]
[[user]]
name = "u"
password = "x"
)";

std::string Err(const Overrides& overrides) {
  auto c = ParseConfig(kFile, "/etc/p.toml", overrides);
  if (c.ok()) return "<accepted>";
  return std::string(c.status().message());
}

TEST(Overrides, BeatTheFileForEveryScalar) {
  Overrides o = {{"node_id", "9"},
                 {"cluster", "c9"},
                 {"default_tenant", "t2"},
                 {"listen", "127.0.0.1:3000"},
                 {"grpc_listen", "[::1]:3001"},
                 {"fleet_file", "rel/fleet.toml"},
                 {"threads", "3"},
                 {"log_level", "warn"},
                 {"log_file", "/tmp/x.log"},
                 {"audit_log", "/tmp/audit.jsonl"},
                 {"tokens_file", "/tmp/tokens.toml"},
                 {"server_version", "8.0.0-fake"},
                 {"max_connections", "7"},
                 {"connect_timeout_ms", "100"},
                 {"pool_max_idle_per_backend", "0"},
                 {"metrics_listen", "127.0.0.1:9100"}};
  auto c = ParseConfig(kFile, "/etc/p.toml", o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 9u);
  EXPECT_EQ(c->cluster, "c9");
  EXPECT_EQ(c->default_tenant, "t2");
  EXPECT_EQ(c->listen, "127.0.0.1:3000");
  EXPECT_EQ(c->grpc_listen, "[::1]:3001");
  EXPECT_EQ(c->fleet_file, "rel/fleet.toml");  // a flag's path is relative to the cwd
  EXPECT_EQ(c->threads, 3);
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->log_file, "/tmp/x.log");
  EXPECT_EQ(c->audit_log, "/tmp/audit.jsonl");
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:9100");
  EXPECT_EQ(c->tokens_file, "/tmp/tokens.toml");
  EXPECT_EQ(c->server_version, "8.0.0-fake");
  EXPECT_EQ(c->max_connections, 7);
  EXPECT_EQ(c->connect_timeout_ms, 100);
  EXPECT_EQ(c->pool_max_idle_per_backend, 0);
  // The user without `tenant` follows the overridden default_tenant.
  ASSERT_EQ(c->users.size(), 1u);
  EXPECT_EQ(c->users[0].tenant, "t2");
}

TEST(Overrides, WithoutFlagsTheFileStands) {
  auto c = ParseConfig(kFile, "/etc/p.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 1u);
  EXPECT_EQ(c->fleet_file, "/etc/fleet.toml");
  EXPECT_EQ(c->users[0].tenant, "sys");
}

TEST(Overrides, BadValuesNameTheFlag) {
  EXPECT_EQ(Err({{"node_id", "x"}}), "--node-id: expected an integer 1..8191, got \"x\"");
  EXPECT_EQ(Err({{"node_id", "0"}}), "--node-id: expected an integer 1..8191, got \"0\"");
  EXPECT_EQ(Err({{"node_id", "8192"}}), "--node-id: expected an integer 1..8191, got \"8192\"");
  EXPECT_EQ(Err({{"node_id", " 5"}}), "--node-id: expected an integer 1..8191, got \" 5\"");
  EXPECT_EQ(Err({{"node_id", "+5"}}), "--node-id: expected an integer 1..8191, got \"+5\"");
  EXPECT_EQ(Err({{"node_id", ""}}), "--node-id: expected an integer 1..8191, got \"\"");
  EXPECT_EQ(Err({{"node_id", "99999999999999999999"}}),
            "--node-id: expected an integer 1..8191, got \"99999999999999999999\"");
  EXPECT_EQ(Err({{"threads", "-1"}}), "--threads: expected an integer 0..1024, got \"-1\"");
  EXPECT_EQ(Err({{"listen", "abc"}}), "--listen: expected \"HOST:PORT\", got \"abc\"");
  EXPECT_EQ(Err({{"grpc_listen", "h:0"}}), "--grpc-listen: expected \"HOST:PORT\", got \"h:0\"");
  EXPECT_EQ(Err({{"log_level", "loud"}}),
            "--log-level: expected trace|debug|info|warn|error|critical|off, got \"loud\"");
  EXPECT_EQ(Err({{"max_connections", "0"}}),
            "--max-connections: expected an integer 1..1000000, got \"0\"");
  EXPECT_EQ(Err({{"cluster", "a#b"}}), "--cluster: must not contain '@' or '#', got \"a#b\"");
}

TEST(Overrides, LateChecksNameTheFlag) {
  EXPECT_EQ(Err({{"default_tenant", "nope"}}),
            "--default-tenant: no tenant named \"nope\" (tenants: sys, t2)");
  EXPECT_EQ(Err({{"grpc_listen", "127.0.0.1:2883"}}),
            "--grpc-listen: same address as listen (127.0.0.1:2883)");
}

TEST(Overrides, UnknownKeyIsRefused) {
  EXPECT_EQ(Err({{"tenant", "x"}}), "unknown override 'tenant'");
}

TEST(Overrides, FlagOverridesTheFileEvenWhenTheFileValueIsBad) {
  // The file is checked first: a bad file value is reported even if a flag would replace it.
  auto c = ParseConfig(std::string("node_id = 0\n") + (kFile + 12), "p.toml", {{"node_id", "2"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "p.toml:1:1: node_id: expected an integer 1..8191, got 0");
}

absl::StatusOr<Overrides> ParseArgs(std::vector<std::string> args) {
  CLI::App app{"test"};
  std::string config_path;
  app.add_option("--config", config_path);
  Overrides o;
  AddOverrideFlags(&app, &o);
  std::vector<const char*> argv = {"proxyd"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return o;
}

TEST(AddOverrideFlags, StoresOnlyTheGivenFlagsUnderTheirTomlKeys) {
  auto o = ParseArgs({"--config", "x.toml", "--node-id", "2", "--grpc-listen", "h:9",
                      "--pool-max-idle-per-backend=5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(*o, (Overrides{
                    {"node_id", "2"}, {"grpc_listen", "h:9"}, {"pool_max_idle_per_backend", "5"}}));
  o = ParseArgs({"--config", "x.toml"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->empty());
}

TEST(AddOverrideFlags, EveryScalarKeyHasAFlag) {
  for (const char* flag :
       {"--node-id", "--cluster", "--default-tenant", "--listen", "--grpc-listen", "--fleet-file",
        "--threads", "--log-level", "--log-file", "--audit-log", "--tokens-file",
        "--server-version", "--max-connections", "--connect-timeout-ms",
        "--pool-max-idle-per-backend"}) {
    auto o = ParseArgs({flag, "v"});
    ASSERT_TRUE(o.ok()) << flag << ": " << o.status();
    EXPECT_EQ(o->size(), 1u) << flag;
  }
  EXPECT_FALSE(ParseArgs({"--node_id", "2"}).ok());
  EXPECT_FALSE(ParseArgs({"--lsiten", "h:1"}).ok());
}

TEST(AddOverrideFlags, AFlagsBadValueIsReportedByParseConfig) {
  auto o = ParseArgs({"--node-id", "x"});
  ASSERT_TRUE(o.ok()) << o.status();
  auto c = ParseConfig(kFile, "p.toml", *o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--node-id: expected an integer 1..8191, got \"x\"");
}

}  // namespace
}  // namespace obp::config
