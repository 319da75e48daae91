#include "proxyd/node_metrics.h"

#include <map>
#include <string>
#include <utility>

#include "proxyd/session/session_info.h"

namespace obp {

metrics::SnapshotSource MakeSnapshotSource(const session::ProxyContext* ctx,
                                           const control::SessionRegistry* registry) {
  return [ctx, registry]() {
    metrics::Snapshot snap;
    std::map<std::pair<std::string, std::string>, uint64_t> groups;   // (tenant, state)
    std::map<std::pair<std::string, std::string>, uint64_t> servers;  // (tenant, backend)
    for (const control::HandlePtr& h : registry->All()) {
      session::SessionInfo info = h->Info();
      ++groups[{info.tenant, session::ClientStateName(info.state)}];
      for (const auto& ss : info.servers) ++servers[{info.tenant, ss.backend}];
      snap.live_bytes_in += info.bytes_from_client;
      snap.live_bytes_out += info.bytes_to_client;
    }
    for (const auto& [key, n] : groups) {
      snap.sessions.push_back(metrics::SessionGroup{key.first, key.second, n});
    }
    // GetNodeInfo's sources (proxyd/rpc/session_service.cc): the same figures.
    // The configuration in force now (a reload may have changed the backends).
    const std::shared_ptr<const session::RuntimeConfig> current = ctx->Current();
    for (const config::Tenant& t : current->config.tenants) {
      for (const config::Backend& b : t.backends) {
        metrics::BackendFigures f;
        f.tenant = t.name;
        f.backend = b.name;
        auto it = servers.find({t.name, b.name});
        f.server_sessions = it == servers.end() ? 0 : it->second;
        f.pooled_idle = static_cast<uint64_t>(ctx->PoolStatsFor(t.name, b).idle);
        session::BackendHealth health = ctx->Health(t.name, b.name);
        f.health = health.state == session::BackendHealth::kUp     ? metrics::BackendFigures::kUp
                   : health.state == session::BackendHealth::kDown ? metrics::BackendFigures::kDown
                                                                   : metrics::BackendFigures::kUnknown;
        snap.backends.push_back(std::move(f));
      }
    }
    return snap;
  };
}

}  // namespace obp
