// ConfigParser: turns a parsed TOML document plus flag overrides into a checked
// ProxyConfig (internal to obp_config; the public entry points are in config.h).
// It remembers where each top-level scalar came from (file position or flag), so a
// check that runs late (default_tenant, listen vs grpc_listen) still names the spot.
//
// Thread rule: one parser per call, used by one thread.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/config/config.h"

namespace obp::config::internal {

class ConfigParser {
 public:
  // REQUIRES: root and c outlive the parser.
  ConfigParser(absl::string_view source, const toml::table& root, ProxyConfig& c)
      : source_(source), root_(root), c_(c) {}

  // In this order: the file's top-level scalars, the flags, the tenants, the cross-checks
  // (default_tenant exists, listen != grpc_listen), the users (a user without `tenant`
  // gets default_tenant, which a flag may have changed), the TLS tables.
  absl::Status Scalars();
  absl::Status ApplyOverrides(const Overrides& overrides);
  absl::Status Tenants();
  absl::Status CrossChecks();
  absl::Status Users();
  absl::Status Tls(absl::string_view section, TlsConfig& tls);

 private:
  absl::Status Error(const toml::source_position& at, absl::string_view path,
                     absl::string_view what) const;
  // "<file>:<l>:<c>: key: what" or "--flag: what", by where the key's value came from.
  absl::Status ScalarError(const std::string& key, absl::string_view what) const;
  // Where the top-level key `name` is written (REQUIRES: it is in the file).
  const toml::source_position& KeyPos(absl::string_view name) const;
  absl::Status UnknownKey(const toml::key& key, absl::string_view path,
                          const std::vector<std::string>& known) const;
  absl::Status ParseBackends(const toml::node& n, const std::string& path, Tenant& tenant);
  absl::Status ParseBackend(const toml::node& n, const std::string& path, Tenant& tenant);
  absl::Status ParseUser(const toml::node& n, const std::string& path);
  absl::Status ParseUserPassword(const toml::key& key, const toml::node& value,
                                 const std::string& path, User& u);

  std::string source_;
  const toml::table& root_;
  ProxyConfig& c_;
  std::map<std::string, toml::source_position> file_pos_;  // scalar key -> its key in the file
  std::set<std::string> from_flag_;                        // scalar keys a flag set
};

}  // namespace obp::config::internal
