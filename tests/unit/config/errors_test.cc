// Every refusal rule, each message checked for file, line, column and key path.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proxyd/config/config.h"

namespace obp::config {
namespace {

using ::testing::HasSubstr;

// A valid tenant block, 3 lines long, for configs whose interesting part is elsewhere.
constexpr char kTenant[] =
    "[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", address=\"h:1\"}]\n";

std::string Err(const std::string& text, const Overrides& overrides = {}) {
  auto c = ParseConfig(text, "p.toml", overrides);
  if (c.ok()) return "<accepted>";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  return std::string(c.status().message());
}

TEST(ConfigErrors, UnknownTopLevelKeySuggestsTheNearOne) {
  EXPECT_EQ(Err(std::string("node_id = 2\nlsiten = \"h:1\"\n") + kTenant),
            "p.toml:2:1: lsiten: unknown key (did you mean 'listen'?)");
  EXPECT_EQ(Err(std::string("tenants = 1\n") + kTenant),
            "p.toml:1:1: tenants: unknown key (did you mean 'tenant'?)");
  EXPECT_EQ(Err(std::string("verbosity = 3\n") + kTenant), "p.toml:1:1: verbosity: unknown key");
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_EQ(Err(std::string("node_id = \"1\"\n") + kTenant),
            "p.toml:1:1: node_id: expected an integer 1..8191, got a string");
  EXPECT_EQ(Err(std::string("node_id = 1.0\n") + kTenant),
            "p.toml:1:1: node_id: expected an integer 1..8191, got a float");
  EXPECT_EQ(Err(std::string("threads = true\n") + kTenant),
            "p.toml:1:1: threads: expected an integer 0..1024, got a boolean");
  EXPECT_EQ(Err(std::string("\n  listen = 2883\n") + kTenant),
            "p.toml:2:3: listen: expected a string, got an integer");
  EXPECT_EQ(Err(std::string("cluster = [\"a\"]\n") + kTenant),
            "p.toml:1:1: cluster: expected a string, got an array");
  EXPECT_EQ(Err(std::string("log_file = 1979-05-27\n") + kTenant),
            "p.toml:1:1: log_file: expected a string, got a date/time");
  EXPECT_EQ(Err("tenant = \"sys\"\n"),
            "p.toml:1:1: tenant: expected [[tenant]] tables, got a string");
  EXPECT_EQ(Err(std::string(kTenant) + "[user]\nname = \"u\"\n"),
            "p.toml:4:2: user: expected [[user]] tables, got a table");
  EXPECT_EQ(Err(std::string("grpc_tls = 1\n") + kTenant),
            "p.toml:1:1: grpc_tls: expected a [grpc_tls] table, got an integer");
}

TEST(ConfigErrors, NodeIdRange) {
  EXPECT_EQ(Err(std::string("node_id = 0\n") + kTenant),
            "p.toml:1:1: node_id: expected an integer 1..8191, got 0");
  EXPECT_EQ(Err(std::string("node_id = 8192\n") + kTenant),
            "p.toml:1:1: node_id: expected an integer 1..8191, got 8192");
  EXPECT_EQ(Err(std::string("node_id = -1\n") + kTenant),
            "p.toml:1:1: node_id: expected an integer 1..8191, got -1");
}

TEST(ConfigErrors, NegativeThreadsAndOtherRanges) {
  EXPECT_EQ(Err(std::string("threads = -1\n") + kTenant),
            "p.toml:1:1: threads: expected an integer 0..1024, got -1");
  EXPECT_EQ(Err(std::string("max_connections = 0\n") + kTenant),
            "p.toml:1:1: max_connections: expected an integer 1..1000000, got 0");
  EXPECT_EQ(Err(std::string("connect_timeout_ms = 0\n") + kTenant),
            "p.toml:1:1: connect_timeout_ms: expected an integer 1..600000, got 0");
  EXPECT_EQ(Err(std::string("pool_max_idle_per_backend = -2\n") + kTenant),
            "p.toml:1:1: pool_max_idle_per_backend: expected an integer 0..100000, got -2");
}

TEST(ConfigErrors, BadAddresses) {
  EXPECT_EQ(Err(std::string("listen = \"127.0.0.1\"\n") + kTenant),
            "p.toml:1:1: listen: expected \"HOST:PORT\", got \"127.0.0.1\"");
  EXPECT_EQ(Err(std::string("grpc_listen = \"h:70000\"\n") + kTenant),
            "p.toml:1:1: grpc_listen: expected \"HOST:PORT\", got \"h:70000\"");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", address=\"nope\"}]\n"),
            "p.toml:3:24: tenant[0].backends[0].address: expected \"HOST:PORT\", got \"nope\"");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\n[[tenant.backends]]\nname = \"b\"\naddress = 3306\n"),
            "p.toml:5:1: tenant[0].backends[0].address: expected a string, got an integer");
  // listen_socket: 107 bytes fit a Unix socket address, 108 do not, from the file or a flag.
  const std::string fits = "/" + std::string(106, 's');
  EXPECT_EQ(Err("listen_socket = \"" + fits + "\"\n" + kTenant), "<accepted>");
  EXPECT_EQ(Err("listen_socket = \"" + fits + "x\"\n" + kTenant),
            "p.toml:1:1: listen_socket: path of 108 bytes; at most 107 fit a Unix socket address");
  EXPECT_EQ(Err(kTenant, {{"listen_socket", fits + "x"}}),
            "--listen-socket: path of 108 bytes; at most 107 fit a Unix socket address");
}

TEST(ConfigErrors, ListenAndGrpcListenMustDiffer) {
  EXPECT_EQ(
      Err(std::string("listen = \"127.0.0.1:5000\"\ngrpc_listen = \"127.0.0.1:5000\"\n") + kTenant),
      "p.toml:2:1: grpc_listen: same address as listen (127.0.0.1:5000)");
}

TEST(ConfigErrors, MetricsListen) {
  EXPECT_EQ(Err(std::string("metrics_listen = \"127.0.0.1:9100\"\n") + kTenant), "<accepted>");
  EXPECT_EQ(Err(std::string("metrics_listen = \"\"\n") + kTenant), "<accepted>");  // off
  EXPECT_EQ(Err(std::string("metrics_listen = \"[::1]:9100\"\n") + kTenant), "<accepted>");
  EXPECT_EQ(Err(std::string("metrics_listen = \"localhost:9100\"\n") + kTenant), "<accepted>");
  EXPECT_EQ(Err(std::string("metrics_listen = \"127.0.0.1\"\n") + kTenant),
            "p.toml:1:1: metrics_listen: expected \"HOST:PORT\", got \"127.0.0.1\"");
  EXPECT_EQ(Err(std::string("\nmetrics_listen = \"metrics.example:9100\"\n") + kTenant),
            "p.toml:2:1: metrics_listen: expected an IP address or localhost as HOST, got "
            "\"metrics.example:9100\"");
  EXPECT_EQ(Err(std::string("metrics_listen = 9100\n") + kTenant),
            "p.toml:1:1: metrics_listen: expected a string, got an integer");
  EXPECT_EQ(Err(std::string("listen = \"127.0.0.1:5000\"\nmetrics_listen = \"127.0.0.1:5000\"\n") +
                kTenant),
            "p.toml:2:1: metrics_listen: same port as listen");
  EXPECT_EQ(Err(kTenant, {{"metrics_listen", "0.0.0.0:2884"}}),
            "--metrics-listen: same port as grpc_listen");
  EXPECT_EQ(Err(kTenant, {{"metrics_listen", "x"}}),
            "--metrics-listen: expected \"HOST:PORT\", got \"x\"");
}

TEST(ConfigErrors, TenantShape) {
  EXPECT_EQ(Err("node_id = 1\n"), "p.toml: tenant: at least one [[tenant]] is required");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = []\n"),
            "p.toml:3:1: tenant[0].backends: a tenant needs at least one backend");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\n"),
            "p.toml:1:1: tenant[0].backends: missing: a tenant needs at least one backend");
  EXPECT_EQ(Err("[[tenant]]\nbackends = [{name=\"b\", address=\"h:1\"}]\n"),
            "p.toml:1:1: tenant[0].name: missing");
  EXPECT_EQ(
      Err("[[tenant]]\nname = \"a@b\"\nbackends = [{name=\"b\", address=\"h:1\"}]\n"),
      "p.toml:2:1: tenant[0].name: expected a non-empty name without '@' or '#', got \"a@b\"");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbakends = []\n"),
            "p.toml:3:1: tenant[0].bakends: unknown key (did you mean 'backends'?)");
  EXPECT_EQ(
      Err("[[tenant]]\nname = \"sys\"\nbackends = \"h:1\"\n"),
      "p.toml:3:12: tenant[0].backends: expected an array of { name, address }, got a string");
  EXPECT_EQ(
      Err("[[tenant]]\nname = \"sys\"\nbackends = [\"h:1\"]\n"),
      "p.toml:3:13: tenant[0].backends[0]: expected { name = ..., address = ... }, got a string");
}

TEST(ConfigErrors, BackendShape) {
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{address=\"h:1\"}]\n"),
            "p.toml:3:13: tenant[0].backends[0].name: missing");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\"}]\n"),
            "p.toml:3:13: tenant[0].backends[0].address: missing");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"a b\", address=\"h:1\"}]\n"),
            "p.toml:3:14: tenant[0].backends[0].name: expected a name of letters, digits, '_', "
            "'-', '.', got \"a b\"");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", adress=\"h:1\"}]\n"),
            "p.toml:3:24: tenant[0].backends[0].adress: unknown key (did you mean 'address'?)");
}

TEST(ConfigErrors, Duplicates) {
  EXPECT_EQ(Err(std::string(kTenant) + kTenant),
            "p.toml:5:1: tenant[1].name: duplicate tenant \"sys\"");
  EXPECT_EQ(Err("[[tenant]]\nname = \"sys\"\nbackends = [{name=\"b\", address=\"h:1\"},\n"
                "            {name=\"b\", address=\"h:2\"}]\n"),
            "p.toml:4:14: tenant[0].backends[1].name: duplicate backend \"b\" in this tenant");
  EXPECT_EQ(Err(std::string(kTenant) +
                "[[user]]\nname = \"u\"\npassword = \"x\"\n[[user]]\ntenant = \"sys\"\n"
                "name = \"u\"\npassword = \"y\"\n"),
            "p.toml:9:1: user[1].name: duplicate user \"u\" in tenant \"sys\"");
}

TEST(ConfigErrors, SameBackendAndUserNamesInDifferentTenantsAreFine) {
  EXPECT_EQ(Err(std::string(kTenant) +
                "[[tenant]]\nname = \"t2\"\nbackends = [{name=\"b\", address=\"h:2\"}]\n"
                "[[user]]\nname = \"u\"\npassword = \"x\"\n[[user]]\ntenant = \"t2\"\n"
                "name = \"u\"\npassword = \"y\"\n"),
            "<accepted>");
}

TEST(ConfigErrors, UserWithUnknownTenant) {
  EXPECT_EQ(
      Err(std::string(kTenant) + "\n[[user]]\ntenant = \"nope\"\nname = \"u\"\npassword = \"x\"\n"),
      "p.toml:6:1: user[0].tenant: no tenant named \"nope\" (tenants: sys)");
  // Without `tenant` the default applies; when that is missing, the table is named.
  EXPECT_EQ(Err("default_tenant = \"t\"\n[[tenant]]\nname = \"t\"\nbackends = [{name=\"b\", "
                "address=\"h:1\"}]\n[[tenant]]\nname = \"t2\"\nbackends = [{name=\"b\", "
                "address=\"h:1\"}]\n[[user]]\nname = \"u\"\npassword = \"x\"\n",
                {{"default_tenant", "t2"}}),
            "<accepted>");
}

TEST(ConfigErrors, PasswordBothOrNeither) {
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\nname = \"u\"\n"),
            "p.toml:4:1: user[0]: missing: give password or password_hash");
  EXPECT_EQ(
      Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npassword = \"x\"\n"
                                 "password_hash = \"*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19\"\n"),
      "p.toml:7:1: user[0]: give only one of password and password_hash");
}

TEST(ConfigErrors, PasswordHashShape) {
  for (const char* bad : {"2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",  // no '*'
                          "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1",  // 39 hex
                          "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E199",
                          "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1G", "", "*"}) {
    EXPECT_EQ(
        Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npassword_hash = \"" + bad + "\"\n"),
        std::string("p.toml:6:1: user[0].password_hash: expected \"*\" and 40 hex digits "
                    "(SELECT PASSWORD('...')), got \"") +
            bad + "\"")
        << bad;
  }
}

TEST(ConfigErrors, UserShape) {
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\npassword = \"x\"\n"),
            "p.toml:4:1: user[0].name: missing");
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npasword = \"x\"\n"),
            "p.toml:6:1: user[0].pasword: unknown key (did you mean 'password'?)");
  EXPECT_EQ(
      Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npassword = \"x\"\nadmin = \"yes\"\n"),
      "p.toml:7:1: user[0].admin: expected true or false, got a string");
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npassword = 1234\n"),
            "p.toml:6:1: user[0].password: expected a string, got an integer");
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\nname = \"u#x\"\npassword = \"x\"\n"),
            "p.toml:5:1: user[0].name: expected a non-empty name without '@' or '#', got \"u#x\"");
}

TEST(ConfigErrors, DefaultTenantMustExist) {
  EXPECT_EQ(Err(std::string("default_tenant = \"main\"\n") + kTenant),
            "p.toml:1:1: default_tenant: no tenant named \"main\" (tenants: sys)");
  EXPECT_EQ(Err("[[tenant]]\nname = \"x\"\nbackends = [{name=\"b\", address=\"h:1\"}]\n"),
            "p.toml: default_tenant: no tenant named \"sys\" (the default value; set "
            "default_tenant) (tenants: x)");
  EXPECT_EQ(Err(std::string("default_tenant = \"\"\n") + kTenant),
            "p.toml:1:1: default_tenant: must not be empty");
}

TEST(ConfigErrors, LogLevelIsChecked) {
  EXPECT_EQ(Err(std::string("log_level = \"verbose\"\n") + kTenant),
            "p.toml:1:1: log_level: expected trace|debug|info|warn|error|critical|off, got "
            "\"verbose\"");
}

TEST(ConfigErrors, PoolResetIsChecked) {
  EXPECT_EQ(Err(std::string("pool_reset = \"sometimes\"\n") + kTenant),
            "p.toml:1:1: pool_reset: expected auto|always, got \"sometimes\"");
}

TEST(ConfigErrors, TlsRules) {
  const std::string t = kTenant;
  EXPECT_EQ(Err(t + "[grpc_tls]\ncert_file = \"c\"\n"),
            "p.toml:4:1: grpc_tls.key_file: missing: cert_file and key_file go together");
  EXPECT_EQ(Err(t + "[grpc_tls]\nkey_file = \"k\"\n"),
            "p.toml:4:1: grpc_tls.cert_file: missing: cert_file and key_file go together");
  EXPECT_EQ(
      Err(t + "[grpc_tls]\ncert_file = \"c\"\nkey_file = \"k\"\nrequire_client_cert = true\n"),
      "p.toml:4:1: grpc_tls.ca_file: missing: require_client_cert needs a ca_file");
  EXPECT_EQ(Err(t + "[grpc_tls]\nca_file = \"ca\"\n"),
            "p.toml:4:1: grpc_tls.cert_file: missing: client-certificate options need the "
            "server's cert_file and key_file");
  EXPECT_EQ(Err(t + "[grpc_tls]\ncert = \"c\"\n"), "p.toml:5:1: grpc_tls.cert: unknown key");
  EXPECT_EQ(Err(t + "[grpc_tls]\ncert_file = \"\"\n"),
            "p.toml:5:1: grpc_tls.cert_file: expected a file path, got \"\"");
  EXPECT_EQ(Err(t + "[grpc_tls]\nrequire_client_cert = \"yes\"\n"),
            "p.toml:5:1: grpc_tls.require_client_cert: expected true or false, got a string");
  // [sql_tls] follows the same rules, under its own name.
  EXPECT_EQ(Err(t + "[sql_tls]\ncert_file = \"c\"\n"),
            "p.toml:4:1: sql_tls.key_file: missing: cert_file and key_file go together");
  EXPECT_EQ(Err(t + "[sql_tls]\ncert_file = \"c\"\nkey_file = \"k\"\nrequire_client_cert = true\n"),
            "p.toml:4:1: sql_tls.ca_file: missing: require_client_cert needs a ca_file");
  EXPECT_EQ(Err(t + "[sql_tls]\ncert_fil = \"c\"\n"),
            "p.toml:5:1: sql_tls.cert_fil: unknown key (did you mean 'cert_file'?)");
  EXPECT_EQ(Err("sql_tls = true\n" + t),
            "p.toml:1:1: sql_tls: expected a [sql_tls] table, got a boolean");
}

TEST(ConfigErrors, BackendTlsAndUserRequireTls) {
  const std::string head = "[[tenant]]\nname = \"sys\"\n";
  EXPECT_EQ(Err(head + "backends = [{name=\"b\", address=\"h:1\", tls=\"yes\"}]\n"),
            "p.toml:3:39: tenant[0].backends[0].tls: expected off, required, verify_ca or "
            "verify_identity, got \"yes\"");
  EXPECT_EQ(Err(head + "backends = [{name=\"b\", address=\"h:1\", ca_file=\"ca\"}]\n"),
            "p.toml:3:13: tenant[0].backends[0].ca_file: only used with tls = \"verify_ca\" or "
            "\"verify_identity\"");
  EXPECT_EQ(Err(head + "backends = [{name=\"b\", address=\"h:1\", tls=\"required\", "
                       "ca_file=\"ca\"}]\n"),
            "p.toml:3:13: tenant[0].backends[0].ca_file: only used with tls = \"verify_ca\" or "
            "\"verify_identity\"");
  EXPECT_EQ(Err(std::string(kTenant) + "[[user]]\nname = \"u\"\npassword = \"x\"\nrequire_tls = 1\n"),
            "p.toml:7:1: user[0].require_tls: expected true or false, got an integer");
}

TEST(ConfigErrors, TomlSyntaxErrorHasFileLineAndColumn) {
  std::string e = Err(std::string(kTenant) + "[[user]]\nname = \"app\npassword = \"x\"\n");
  EXPECT_THAT(e, HasSubstr("p.toml:5:"));
  e = Err("node_id = 1\nnode_id = 2\n");
  EXPECT_THAT(e, HasSubstr("p.toml:2:"));
  EXPECT_THAT(e, HasSubstr("node_id"));
}

}  // namespace
}  // namespace obp::config
