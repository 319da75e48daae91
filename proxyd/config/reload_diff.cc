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

// A changed scalar as "key old->new".
template <typename V>
void Scalar(std::vector<std::string>& out, const char* key, const V& a, const V& b) {
  if (!(a == b)) out.push_back(absl::StrCat(key, " ", a, "->", b));
}

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
  Scalar(out, "cluster", a.cluster, b.cluster);
  Scalar(out, "default_tenant", a.default_tenant, b.default_tenant);
  Scalar(out, "fleet_file", a.fleet_file, b.fleet_file);
  Scalar(out, "log_level", a.log_level, b.log_level);
  Scalar(out, "audit_log", a.audit_log, b.audit_log);
  Scalar(out, "tokens_file", a.tokens_file, b.tokens_file);
  Scalar(out, "peer_token_file", a.peer_token_file, b.peer_token_file);
  Scalar(out, "max_connections", a.max_connections, b.max_connections);
  Scalar(out, "admin_reserved_connections", a.admin_reserved_connections,
         b.admin_reserved_connections);
  Scalar(out, "login_timeout_s", a.login_timeout_s, b.login_timeout_s);
  Scalar(out, "wait_timeout_s", a.wait_timeout_s, b.wait_timeout_s);
  Scalar(out, "net_read_timeout_s", a.net_read_timeout_s, b.net_read_timeout_s);
  Scalar(out, "max_allowed_packet", a.max_allowed_packet, b.max_allowed_packet);
  Scalar(out, "connect_timeout_ms", a.connect_timeout_ms, b.connect_timeout_ms);
  Scalar(out, "backend_kill_timeout_ms", a.backend_kill_timeout_ms, b.backend_kill_timeout_ms);
  if (a.pool_reset_always != b.pool_reset_always) {
    out.push_back(absl::StrCat("pool_reset ", a.pool_reset_always ? "always" : "auto", "->",
                               b.pool_reset_always ? "always" : "auto"));
  }
  if (!SameTls(a.sql_tls, b.sql_tls)) {
    out.push_back(absl::StrCat("sql_tls ", TlsText(a.sql_tls), "->", TlsText(b.sql_tls)));
  }
  return out;
}

}  // namespace obp::config
