#include "proxyd/config/config.h"

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "common/core/status_macros.h"
#include "common/core/toml_util.h"
#include "proxyd/config/parser.h"
#include "proxyd/config/scalars.h"

namespace obp::config {

const Backend* Tenant::FindBackend(absl::string_view n) const {
  for (const Backend& b : backends) {
    if (b.name == n) return &b;
  }
  return nullptr;
}

const Tenant* ProxyConfig::FindTenant(absl::string_view n) const {
  for (const Tenant& t : tenants) {
    if (t.name == n) return &t;
  }
  return nullptr;
}

const User* ProxyConfig::FindUser(absl::string_view tenant, absl::string_view n) const {
  for (const User& u : users) {
    if (u.tenant == tenant && u.name == n) return &u;
  }
  return nullptr;
}

void AddOverrideFlags(CLI::App* app, Overrides* out) {
  for (const internal::ScalarKey& k : internal::ScalarKeys()) {
    std::string key = k.key;
    app->add_option_function<std::string>(
           internal::FlagName(key), [out, key](const std::string& v) { (*out)[key] = v; },
           absl::StrCat(k.help, " (overrides `", key, "`)"))
        ->type_name(k.kind == internal::ScalarKey::Kind::kInt ? "INT" : "TEXT");
  }
}

absl::StatusOr<ProxyConfig> ParseConfig(absl::string_view text, absl::string_view source,
                                        const Overrides& overrides) {
  OBP_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(text, source));
  ProxyConfig c;
  c.source_path = std::string(source);
  internal::ConfigParser p(source, root, c);
  OBP_RETURN_IF_ERROR(p.Scalars());
  OBP_RETURN_IF_ERROR(p.ApplyOverrides(overrides));
  OBP_RETURN_IF_ERROR(p.Tenants());
  OBP_RETURN_IF_ERROR(p.CrossChecks());
  OBP_RETURN_IF_ERROR(p.Users());
  OBP_RETURN_IF_ERROR(p.Tls("grpc_tls", c.grpc_tls));
  OBP_RETURN_IF_ERROR(p.Tls("sql_tls", c.sql_tls));
  return c;
}

absl::StatusOr<ProxyConfig> LoadConfig(const std::string& path, const Overrides& overrides) {
  OBP_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "config file"));
  return ParseConfig(text, path, overrides);
}

}  // namespace obp::config
