#include "proxyd/config/reload_diff.h"

#include <functional>

#include "absl/strings/str_cat.h"

namespace obp::config {
namespace {

bool SameTls(const TlsConfig& a, const TlsConfig& b) {
  return a.cert_file == b.cert_file && a.key_file == b.key_file && a.ca_file == b.ca_file &&
         a.require_client_cert == b.require_client_cert;
}

std::string TlsText(const TlsConfig& t) {
  return t.enabled() ? absl::StrCat("cert ", t.cert_file) : "off";
}

bool SameBackend(const Backend& a, const Backend& b) {
  return a.name == b.name && a.address == b.address && a.tls == b.tls && a.ca_file == b.ca_file;
}

bool SameTenant(const Tenant& a, const Tenant& b) {
  if (a.name != b.name || a.backends.size() != b.backends.size()) return false;
  for (size_t i = 0; i < a.backends.size(); ++i) {
    if (!SameBackend(a.backends[i], b.backends[i])) return false;
  }
  return true;
}

bool SameUser(const User& a, const User& b) {
  return a.tenant == b.tenant && a.name == b.name && a.stage2 == b.stage2 &&
         a.admin == b.admin && a.require_tls == b.require_tls;
}

template <typename T, typename Eq>
bool SameList(const std::vector<T>& a, const std::vector<T>& b, Eq eq) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!eq(a[i], b[i])) return false;
  }
  return true;
}

// One restart-only key: how to show it and how to copy it back.
struct Fixed {
  const char* key;
  std::function<std::string(const ProxyConfig&)> text;
  std::function<void(const ProxyConfig&, ProxyConfig&)> keep;
};

#define OBP_FIXED(field)                                                        \
  Fixed {                                                                       \
    #field, [](const ProxyConfig& c) { return absl::StrCat(c.field); },         \
        [](const ProxyConfig& from, ProxyConfig& to) { to.field = from.field; } \
  }

const std::vector<Fixed>& FixedKeys() {
  static const auto* keys = new std::vector<Fixed>{
      OBP_FIXED(node_id),
      OBP_FIXED(listen),
      OBP_FIXED(grpc_listen),
      OBP_FIXED(threads),
      OBP_FIXED(listen_socket),
      OBP_FIXED(log_file),
      Fixed{"log_format", [](const ProxyConfig& c) { return std::string(c.log_json ? "json" : "text"); },
            [](const ProxyConfig& from, ProxyConfig& to) { to.log_json = from.log_json; }},
      OBP_FIXED(metrics_listen),
      OBP_FIXED(server_version),
      OBP_FIXED(grpc_max_concurrent_calls),
      OBP_FIXED(pool_max_idle_per_backend),
      OBP_FIXED(pool_idle_timeout_s),
      Fixed{"grpc_tls", [](const ProxyConfig& c) { return TlsText(c.grpc_tls); },
            [](const ProxyConfig& from, ProxyConfig& to) { to.grpc_tls = from.grpc_tls; }},
  };
  return *keys;
}
#undef OBP_FIXED

// The scalar keys a reload applies, shown as text: a change reads "key old->new".
struct Shown {
  const char* key;
  std::function<std::string(const ProxyConfig&)> text;
};

#define OBP_SHOWN(field) \
  Shown { #field, [](const ProxyConfig& c) { return absl::StrCat(c.field); } }

const std::vector<Shown>& ReloadableScalars() {
  static const auto* keys = new std::vector<Shown>{
      OBP_SHOWN(cluster),
      OBP_SHOWN(default_tenant),
      OBP_SHOWN(fleet_file),
      OBP_SHOWN(log_level),
      OBP_SHOWN(audit_log),
      OBP_SHOWN(tokens_file),
      OBP_SHOWN(peer_token_file),
      OBP_SHOWN(max_connections),
      OBP_SHOWN(admin_reserved_connections),
      OBP_SHOWN(login_timeout_s),
      OBP_SHOWN(wait_timeout_s),
      OBP_SHOWN(net_read_timeout_s),
      OBP_SHOWN(max_allowed_packet),
      OBP_SHOWN(connect_timeout_ms),
      OBP_SHOWN(backend_kill_timeout_ms),
      OBP_SHOWN(drain_timeout_s),
      OBP_SHOWN(history_size),
      Shown{"pool_reset",
            [](const ProxyConfig& c) {
              return std::string(c.pool_reset_always ? "always" : "auto");
            }},
  };
  return *keys;
}
#undef OBP_SHOWN

}  // namespace

const std::vector<std::string>& RestartOnlyKeys() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const Fixed& f : FixedKeys()) v->push_back(f.key);
    return v;
  }();
  return *names;
}

std::vector<std::string> KeepRestartOnly(const ProxyConfig& running, ProxyConfig& next) {
  std::vector<std::string> kept;
  for (const Fixed& f : FixedKeys()) {
    std::string was = f.text(running);
    std::string wanted = f.text(next);
    // grpc_tls compares every field, not only what TlsText shows.
    bool differs = f.key == std::string("grpc_tls") ? !SameTls(running.grpc_tls, next.grpc_tls)
                                                    : was != wanted;
    if (differs) kept.push_back(absl::StrCat(f.key, " (", was, " -> ", wanted, ")"));
    f.keep(running, next);
  }
  return kept;
}

std::vector<std::string> DescribeChanges(const ProxyConfig& a, const ProxyConfig& b) {
  std::vector<std::string> out;
  if (a.users.size() != b.users.size()) {
    out.push_back(absl::StrCat("users ", a.users.size(), "->", b.users.size()));
  } else if (!SameList(a.users, b.users, SameUser)) {
    out.push_back("users changed");
  }
  if (a.tenants.size() != b.tenants.size()) {
    out.push_back(absl::StrCat("tenants ", a.tenants.size(), "->", b.tenants.size()));
  } else if (!SameList(a.tenants, b.tenants, SameTenant)) {
    out.push_back("tenants changed");
  }
  for (const Shown& k : ReloadableScalars()) {
    std::string was = k.text(a);
    std::string now = k.text(b);
    if (was != now) out.push_back(absl::StrCat(k.key, " ", was, "->", now));
  }
  if (!SameTls(a.sql_tls, b.sql_tls)) {
    out.push_back(absl::StrCat("sql_tls ", TlsText(a.sql_tls), "->", TlsText(b.sql_tls)));
  }
  return out;
}

}  // namespace obp::config
