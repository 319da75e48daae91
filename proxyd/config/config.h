// ProxyConfig: one proxyd node's configuration (SPEC §7), read from a TOML file with
// every top-level scalar key overridable by a flag of the same name (--node-id for
// node_id). A bad file is refused with "<file>:<line>:<column>: <key path>: <what>",
// e.g. `proxyd.toml:12:1: user[0].tenant: no tenant named "nope" (tenants: sys)`, and a
// bad flag value with "<--flag>: <what>".
//
//   node_id = 1                        cluster = "demo"         default_tenant = "sys"
//   listen = "127.0.0.1:2883"          grpc_listen = "127.0.0.1:2884"
//   fleet_file = "fleet.toml"          # see the field comments below for the rest
//   [[tenant]]  name = "sys"  backends = [ { name = "primary", address = "HOST:PORT" } ]
//   [[user]]    tenant = "sys"  name = "root"  password = "..." | password_hash = "*HEX"
//               admin = true
//   [grpc_tls]  cert_file, key_file, ca_file, require_client_cert
//   [sql_tls]   the same keys, for the MySQL port (SPEC §2 "TLS, sockets, change user")
//
// Thread rule: a ProxyConfig is immutable once loaded and shared read-only by all
// threads. The functions below are pure (LoadConfig reads one file).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/core/address.h"

namespace CLI {
class App;  // CLI11's, declared here so that the proxyd layers including this don't parse CLI11
}  // namespace CLI

namespace obp::config {

// How server sessions to a backend use TLS (SPEC §2), as MariaDB's client
// ssl-mode: off; required (encrypted, the certificate not checked); verify_ca (the
// chain checked against ca_file, or the system's CAs); verify_identity (also the
// host name or IP of `address`).
enum class BackendTls { kOff, kRequired, kVerifyCa, kVerifyIdentity };

struct Backend {
  std::string name;     // letters, digits, '_', '-', '.': what a routing hint names
  std::string address;  // HOST:PORT as written
  HostPort hp;          // the same, parsed
  BackendTls tls = BackendTls::kOff;
  std::string ca_file;  // PEM; empty = the system's CAs (verify modes only)
};

struct Tenant {
  std::string name;
  std::vector<Backend> backends;  // never empty; backends[0] takes unhinted statements
  const Backend* FindBackend(absl::string_view name) const;  // nullptr if none
};

struct User {
  std::string tenant;  // defaults to the node's default_tenant when not given
  std::string name;
  // 20 raw bytes = SHA1(SHA1(password)), from `password` or from `password_hash`
  // ("*" + 40 hex, what MariaDB stores). An empty `password` still gets SHA1(SHA1("")).
  std::string stage2;
  bool has_clear_password = false;
  std::string password;  // clear text, only when has_clear_password
  bool admin = false;
  bool require_tls = false;  // a login without TLS is refused with 1045
};

struct TlsConfig {
  std::string cert_file, key_file, ca_file;  // PEM files; paths used as written
  bool require_client_cert = false;          // mTLS; needs ca_file
  bool enabled() const { return !cert_file.empty(); }
};

struct ProxyConfig {
  uint32_t node_id = 1;
  std::string cluster = "default";
  std::string default_tenant = "sys";
  std::string listen = "127.0.0.1:2883";
  std::string grpc_listen = "127.0.0.1:2884";
  // SPEC §2: also listen on this Unix socket (empty = no). Created mode 0666 (a
  // login is still needed); a stale socket file left by a crash is replaced.
  std::string listen_socket;
  // Optional. Here and for every path below, a relative path in the file is taken
  // relative to the config file's directory (and stored resolved); one given by a
  // flag, relative to the cwd.
  std::string fleet_file;
  int threads = 0;                 // data-plane io threads; 0 = number of cores
  std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
  std::string log_file;            // empty = stderr
  bool log_json = false;           // log_format = "json": one JSON object per line
  std::string audit_log;           // empty = no audit file; "-" = stderr
  std::string tokens_file;         // optional bearer tokens file (SPEC §6)
  std::string peer_token_file;     // operator token this node presents to peers
  std::string server_version;      // empty = probe the first backend at start
  // Client connections at once, logins in progress included (SPEC §2 "Before
  // login"); admin_reserved_connections more are kept for admin logins.
  int max_connections = 10000;
  int admin_reserved_connections = 2;
  int login_timeout_s = 10;  // a client must finish its login within this
  int wait_timeout_s = 0;    // close client sessions idle this long; 0 = never
  // Once a client has started a packet, the rest must arrive within this (as
  // MariaDB's net_read_timeout), so a stalled packet holds its buffer for a bounded
  // time.
  int net_read_timeout_s = 30;
  // The largest command a client may send (all its packets together), as MariaDB's
  // max_allowed_packet: a bigger one gets 1153 and the connection is closed.
  int max_allowed_packet = 64 << 20;
  int connect_timeout_ms = 3000;  // backend connect + login
  // How long a kill waits for the backend's KILL to be confirmed (SPEC §3).
  int backend_kill_timeout_ms = 1000;
  int grpc_max_concurrent_calls = 64;  // gRPC calls in flight; more are refused
  // SPEC §8: on SIGTERM/SIGINT or the Drain rpc, sessions get this long to end
  // by themselves (idle outside a transaction); the rest are then killed.
  int drain_timeout_s = 30;
  // SPEC §9: how many ended client sessions the node remembers (0 = none). A
  // reload resizes the history, keeping its newest entries.
  int history_size = 10000;
  // SPEC §8: "HOST:PORT" (an IP, or localhost) serving GET /metrics; empty = off.
  std::string metrics_listen;

  int pool_max_idle_per_backend = 64;  // pooled idle server sessions (0 disables pooling)
  int pool_idle_timeout_s = 300;       // a pooled connection unused this long is closed
  // pool_reset = "always": reset every connection before pooling, even one that
  // ran only plain reads ("auto", the default, skips those; see README).
  bool pool_reset_always = false;
  TlsConfig grpc_tls;           // [grpc_tls]
  TlsConfig sql_tls;            // [sql_tls]: TLS offered on `listen`
  std::vector<Tenant> tenants;  // at least one; default_tenant is among them
  std::vector<User> users;
  std::string source_path;  // the config file (or source name) it came from

  const Tenant* FindTenant(absl::string_view name) const;
  const User* FindUser(absl::string_view tenant, absl::string_view name) const;
};

// Flag overrides: TOML key ("node_id") -> value text as given on the command line.
using Overrides = std::map<std::string, std::string>;

// Registers one CLI11 option per scalar key, spelled with dashes (--node-id,
// --grpc-listen, ...); each stores into *out only when given. Values are checked later,
// by LoadConfig/ParseConfig, so a bad one is reported like a bad file value.
// REQUIRES: `app` has none of these options yet; *out outlives app->parse().
void AddOverrideFlags(CLI::App* app, Overrides* out);

absl::StatusOr<ProxyConfig> LoadConfig(const std::string& path, const Overrides& overrides);
absl::StatusOr<ProxyConfig> ParseConfig(absl::string_view toml_text, absl::string_view source_name,
                                        const Overrides& overrides);

}  // namespace obp::config
