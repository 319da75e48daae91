#include "proxyd/session/runtime_config.h"

#include "absl/strings/str_cat.h"
#include "proxyd/net/tls_context.h"

namespace obp::session {
namespace {

net::TlsVerify VerifyOf(config::BackendTls mode) {
  switch (mode) {
    case config::BackendTls::kRequired:
      return net::TlsVerify::kNone;
    case config::BackendTls::kVerifyCa:
      return net::TlsVerify::kCa;
    default:
      return net::TlsVerify::kIdentity;
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RuntimeConfig>> BuildRuntimeConfig(config::ProxyConfig config,
                                                                        uint64_t generation) {
  auto rc = std::make_shared<RuntimeConfig>();
  rc->config = std::move(config);
  rc->generation = generation;
  const config::ProxyConfig& c = rc->config;
  if (c.sql_tls.enabled()) {
    const config::TlsConfig& t = c.sql_tls;
    auto made = net::MakeServerTlsContext(
        net::ServerTlsFiles{t.cert_file, t.key_file, t.ca_file, t.require_client_cert});
    if (!made.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("sql_tls: ", made.status().message()));
    }
    rc->sql_tls = *std::move(made);
  }
  // The map is keyed by addresses inside rc->config, which no longer moves.
  for (const config::Tenant& tenant : c.tenants) {
    for (const config::Backend& b : tenant.backends) {
      if (b.tls == config::BackendTls::kOff) continue;
      auto made = net::MakeClientTlsContext(VerifyOf(b.tls), b.ca_file);
      if (!made.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("tenant ", tenant.name, " backend ", b.name,
                                                       ": ", made.status().message()));
      }
      rc->backend_tls[&b] = *std::move(made);
    }
  }
  return std::shared_ptr<const RuntimeConfig>(std::move(rc));
}

}  // namespace obp::session
