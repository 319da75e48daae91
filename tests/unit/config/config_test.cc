// Valid configurations: SPEC §7's example, defaults, the deploy example, lookups.
#include "proxyd/config/config.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace obp::config {
namespace {

constexpr char kSpecExample[] = R"(node_id = 1
cluster = "demo"
default_tenant = "sys"
listen = "127.0.0.1:2883"          # MySQL protocol
grpc_listen = "127.0.0.1:2884"     # SessionService
fleet_file = "fleet.toml"          # optional: peers for cross-node KILL

[[tenant]]
name = "sys"
backends = [ { name = "primary", address = "127.0.0.1:3306" },
             { name = "replica1", address = "127.0.0.1:3307" } ]

[[user]]
tenant = "sys"
name = "root"
password = "secret"                # or password_hash = "*2470C0C0..."
admin = true
)";

std::string Hex(const std::string& bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}

TEST(ParseConfig, SpecExample) {
  auto c = ParseConfig(kSpecExample, "/etc/proxyd/proxyd.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 1u);
  EXPECT_EQ(c->cluster, "demo");
  EXPECT_EQ(c->default_tenant, "sys");
  EXPECT_EQ(c->listen, "127.0.0.1:2883");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:2884");
  EXPECT_EQ(c->fleet_file, "/etc/proxyd/fleet.toml");  // relative to the config's folder
  EXPECT_EQ(c->source_path, "/etc/proxyd/proxyd.toml");
  ASSERT_EQ(c->tenants.size(), 1u);
  const Tenant& t = c->tenants[0];
  EXPECT_EQ(t.name, "sys");
  ASSERT_EQ(t.backends.size(), 2u);
  EXPECT_EQ(t.backends[0].name, "primary");
  EXPECT_EQ(t.backends[0].address, "127.0.0.1:3306");
  EXPECT_EQ(t.backends[0].hp.host, "127.0.0.1");
  EXPECT_EQ(t.backends[0].hp.port, 3306);
  EXPECT_EQ(t.backends[1].name, "replica1");
  EXPECT_EQ(t.backends[1].hp.port, 3307);
  ASSERT_EQ(c->users.size(), 1u);
  const User& u = c->users[0];
  EXPECT_EQ(u.tenant, "sys");
  EXPECT_EQ(u.name, "root");
  EXPECT_TRUE(u.has_clear_password);
  EXPECT_EQ(u.password, "secret");
  EXPECT_TRUE(u.admin);
  EXPECT_EQ(Hex(u.stage2), "14E65567ABDB5135D0CFD9A70B3032C179A49EE7");  // PASSWORD('secret')
  EXPECT_FALSE(c->grpc_tls.enabled());
}

TEST(ParseConfig, DefaultsForEverythingNotGiven) {
  auto c = ParseConfig("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", address=\"h:1\"}]\n",
                       "proxyd.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 1u);
  EXPECT_EQ(c->cluster, "default");
  EXPECT_EQ(c->default_tenant, "sys");
  EXPECT_EQ(c->listen, "127.0.0.1:2883");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:2884");
  EXPECT_EQ(c->metrics_listen, "");  // metrics off
  EXPECT_EQ(c->fleet_file, "");
  EXPECT_EQ(c->threads, 0);
  EXPECT_EQ(c->log_level, "info");
  EXPECT_FALSE(c->pool_reset_always);
  EXPECT_EQ(c->log_file, "");
  EXPECT_EQ(c->audit_log, "");
  EXPECT_EQ(c->tokens_file, "");
  EXPECT_EQ(c->server_version, "");
  EXPECT_EQ(c->max_connections, 10000);
  EXPECT_EQ(c->connect_timeout_ms, 3000);
  EXPECT_EQ(c->pool_max_idle_per_backend, 64);
  EXPECT_TRUE(c->users.empty());
}

TEST(ParseConfig, EveryScalarKeyAndTls) {
  auto c = ParseConfig(R"(node_id = 8191
cluster = "c1"
default_tenant = "t2"
listen = "[::1]:3000"
grpc_listen = "localhost:3001"
fleet_file = "/abs/fleet.toml"
threads = 4
log_level = "debug"
log_file = "/tmp/p.log"
audit_log = "-"
tokens_file = "tokens.toml"
server_version = "10.11.6-MariaDB"
max_connections = 5
connect_timeout_ms = 250
pool_max_idle_per_backend = 0
[grpc_tls]
cert_file = "s.crt"
key_file = "s.key"
ca_file = "ca.crt"
require_client_cert = true
[sql_tls]
cert_file = "q.crt"
key_file = "q.key"
[[tenant]]
name = "t2"
[[tenant.backends]]
name = "b-1.x_y"
address = "db:3306"
[[tenant.backends]]
name = "secure"
address = "db2:3306"
tls = "verify_identity"
ca_file = "/etc/ca.pem"
[[user]]
tenant = "t2"
name = "u"
password = "p"
require_tls = true
)",
                       "p.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, 8191u);
  EXPECT_EQ(c->cluster, "c1");
  EXPECT_EQ(c->default_tenant, "t2");
  EXPECT_EQ(c->listen, "[::1]:3000");
  EXPECT_EQ(c->grpc_listen, "localhost:3001");
  EXPECT_EQ(c->fleet_file, "/abs/fleet.toml");
  EXPECT_EQ(c->threads, 4);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_file, "/tmp/p.log");
  EXPECT_EQ(c->audit_log, "-");
  EXPECT_EQ(c->tokens_file, "tokens.toml");
  EXPECT_EQ(c->server_version, "10.11.6-MariaDB");
  EXPECT_EQ(c->max_connections, 5);
  EXPECT_EQ(c->connect_timeout_ms, 250);
  EXPECT_EQ(c->pool_max_idle_per_backend, 0);
  EXPECT_TRUE(c->grpc_tls.enabled());
  EXPECT_EQ(c->grpc_tls.cert_file, "s.crt");
  EXPECT_EQ(c->grpc_tls.key_file, "s.key");
  EXPECT_EQ(c->grpc_tls.ca_file, "ca.crt");
  EXPECT_TRUE(c->grpc_tls.require_client_cert);
  ASSERT_NE(c->FindTenant("t2"), nullptr);
  EXPECT_EQ(c->FindTenant("t2")->backends[0].name, "b-1.x_y");
  EXPECT_EQ(c->FindTenant("t2")->backends[0].tls, BackendTls::kOff);
  EXPECT_EQ(c->FindTenant("t2")->backends[1].tls, BackendTls::kVerifyIdentity);
  EXPECT_EQ(c->FindTenant("t2")->backends[1].ca_file, "/etc/ca.pem");
  EXPECT_TRUE(c->sql_tls.enabled());
  EXPECT_EQ(c->sql_tls.cert_file, "q.crt");
  EXPECT_FALSE(c->sql_tls.require_client_cert);
  ASSERT_NE(c->FindUser("t2", "u"), nullptr);
  EXPECT_TRUE(c->FindUser("t2", "u")->require_tls);
}

TEST(ParseConfig, PasswordHashGivesTheSameStage2AsThePassword) {
  auto c = ParseConfig(R"([[tenant]]
name = "sys"
backends = [{name="b", address="h:1"}]
[[user]]
name = "a"
password = "password"
[[user]]
name = "b"
password_hash = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
[[user]]
name = "c"
password_hash = "*2470c0c06dee42fd1618bb99005adca2ec9d1e19"
[[user]]
name = "d"
password = ""
)",
                       "p.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->users.size(), 4u);
  EXPECT_EQ(Hex(c->users[0].stage2), "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
  EXPECT_EQ(c->users[1].stage2, c->users[0].stage2);
  EXPECT_EQ(c->users[2].stage2, c->users[0].stage2);
  EXPECT_EQ(c->users[1].stage2.size(), 20u);
  EXPECT_FALSE(c->users[1].has_clear_password);
  EXPECT_EQ(c->users[1].password, "");
  EXPECT_FALSE(c->users[1].admin);
  // A user without `tenant` belongs to default_tenant.
  EXPECT_EQ(c->users[1].tenant, "sys");
  EXPECT_TRUE(c->users[3].has_clear_password);
  EXPECT_EQ(c->users[3].stage2.size(), 20u);
}

TEST(ParseConfig, Lookups) {
  auto c = ParseConfig(R"(default_tenant = "a"
[[tenant]]
name = "a"
backends = [{name="x", address="h:1"}, {name="y", address="h:2"}]
[[tenant]]
name = "b"
backends = [{name="x", address="h:3"}]
[[user]]
tenant = "a"
name = "u"
password = "1"
[[user]]
tenant = "b"
name = "u"
password = "2"
admin = true
)",
                       "p.toml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_NE(c->FindTenant("b"), nullptr);
  EXPECT_EQ(c->FindTenant("b")->FindBackend("x")->hp.port, 3);
  EXPECT_EQ(c->FindTenant("a")->FindBackend("y")->hp.port, 2);
  EXPECT_EQ(c->FindTenant("a")->FindBackend("z"), nullptr);
  EXPECT_EQ(c->FindTenant("c"), nullptr);
  ASSERT_NE(c->FindUser("b", "u"), nullptr);
  EXPECT_TRUE(c->FindUser("b", "u")->admin);
  EXPECT_FALSE(c->FindUser("a", "u")->admin);
  EXPECT_EQ(c->FindUser("a", "v"), nullptr);
  EXPECT_EQ(c->FindUser("c", "u"), nullptr);
}

TEST(LoadConfig, DeployExampleLoads) {
  const std::string path = std::string(OBP_SOURCE_DIR) + "/deploy/local/example.toml";
  auto c = LoadConfig(path, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source_path, path);
  ASSERT_NE(c->FindTenant("sys"), nullptr);
  EXPECT_EQ(c->FindTenant("sys")->backends.size(), 2u);
  ASSERT_NE(c->FindUser("sys", "root"), nullptr);
  EXPECT_TRUE(c->FindUser("sys", "root")->admin);
  ASSERT_NE(c->FindUser("sys", "app"), nullptr);
  EXPECT_EQ(Hex(c->FindUser("sys", "app")->stage2), "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
}

TEST(LoadConfig, RelativeFleetFileFollowsTheConfigFile) {
  auto dir = std::filesystem::temp_directory_path() / "obp_config_test_rel";
  std::filesystem::create_directories(dir);
  auto path = (dir / "p.toml").string();
  std::ofstream(path) << "fleet_file = \"sub/fleet.toml\"\n"
                      << "[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", address=\"h:1\"}]\n";
  auto c = LoadConfig(path, {});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->fleet_file, (dir / "sub/fleet.toml").string());
}

TEST(LoadConfig, MissingFileNamesIt) {
  auto c = LoadConfig("/nonexistent/dir/absent.toml", {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(),
            "/nonexistent/dir/absent.toml: cannot read config file: No such file or directory");
}

}  // namespace
}  // namespace obp::config
