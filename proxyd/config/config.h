// ProxyConfig: one proxyd node's configuration (SPEC §7), from a TOML file with
// every scalar key overridable by a flag of the same name (--node-id for node_id).
// A bad file is refused with "<file>:<line>:<col>: <key>: <what>".
//
// Thread rule: immutable once loaded; shared read-only by all threads.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "common/core/address.h"

namespace obp::config {

struct Backend {
  std::string name;
  std::string address;
  HostPort hp;
};

struct Tenant {
  std::string name;
  std::vector<Backend> backends;
  const Backend* FindBackend(absl::string_view name) const;
};

struct User {
  std::string tenant;
  std::string name;
  std::string stage2;  // 20 raw bytes: SHA1(SHA1(password))
  bool has_clear_password = false;
  std::string password;
  bool admin = false;
};

struct TlsConfig {
  std::string cert_file, key_file, ca_file;
  bool require_client_cert = false;
  bool enabled() const { return !cert_file.empty(); }
};

struct ProxyConfig {
  uint32_t node_id = 1;
  std::string cluster = "default";
  std::string default_tenant = "sys";
  std::string listen = "127.0.0.1:2883";
  std::string grpc_listen = "127.0.0.1:2884";
  std::string fleet_file;       // relative to the config file's folder
  int threads = 0;              // data-plane threads; 0 = one per core
  std::string log_level = "info";
  std::string log_file;         // empty = stderr
  std::string audit_log;        // empty = none, "-" = stderr
  std::string tokens_file;      // bearer tokens for the gRPC API (SPEC §6)
  std::string server_version;   // empty = the first backend's
  int max_connections = 10000;
  int connect_timeout_ms = 3000;
  int pool_max_idle_per_backend = 64;
  TlsConfig grpc_tls;
  std::vector<Tenant> tenants;
  std::vector<User> users;
  std::string source_path;

  const Tenant* FindTenant(absl::string_view name) const;
  const User* FindUser(absl::string_view tenant, absl::string_view name) const;
};

// Flag overrides: TOML key -> value text.
using Overrides = std::map<std::string, std::string>;

// One option per scalar key, spelled with dashes (--node-id, --grpc-listen, ...).
void AddOverrideFlags(CLI::App* app, Overrides* out);
absl::StatusOr<ProxyConfig> LoadConfig(const std::string& path, const Overrides& overrides);
absl::StatusOr<ProxyConfig> ParseConfig(absl::string_view toml_text, absl::string_view source_name,
                                        const Overrides& overrides);

}  // namespace obp::config
