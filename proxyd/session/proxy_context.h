// ProxyContext: what every client session of a node shares: configuration, node
// identity, id generators, the backend pools and the front door for proxy
// statements. Built once at start-up by the node; it names nothing above the
// session layer (the registry and the kill path hold sessions, not the reverse).
//
// Thread rule: immutable after start-up except the atomics, the pools and the
// health table, which are safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/core/ids.h"
#include "common/core/mutex.h"
#include "proxyd/config/config.h"
#include "proxyd/metrics/metrics.h"
#include "proxyd/session/backend_pool.h"

namespace obp::net { class IoPool; }
namespace asio::ssl { class context; }

namespace obp::session {

class AdminFrontDoor;

// What the node last learned about a backend from connecting to it.
struct BackendHealth {
  enum State { kUnknown, kUp, kDown } state = kUnknown;
  std::string last_error;
};

struct ProxyContext {
  const config::ProxyConfig* config = nullptr;
  net::IoPool* io = nullptr;
  AdminFrontDoor* admin = nullptr;
  ProxySessIdGenerator* sessids = nullptr;
  std::string server_version = "5.5.5-10.11.0-proxyd";
  uint8_t server_charset = 45;
  // SPEC §2 Capabilities: what the default tenant's first backend offered when
  // probed at start. Until a probe succeeds proxyd assumes a MariaDB backend; a
  // server session whose backend lacks what its client negotiated fails its login.
  uint32_t backend_caps = ~0u;
  uint32_t backend_ext_caps = ~0u;  // 0: a MySQL backend (kClientMysql set)
  int pid = 0;
  absl::Time started_at;
  std::atomic<uint32_t> next_ss_id{1};
  // One per io thread, indexed like IoPool's contexts.
  std::vector<std::unique_ptr<BackendPool>> pools;

  // Any thread: the pool figures for `backend`, summed over every io thread.
  PoolStats PoolStatsFor(const config::Backend* backend) const {
    PoolStats sum;
    for (const auto& p : pools) sum += p->Stats(backend);
    return sum;
  }
  std::atomic<bool> stopping{false};
  // The node's metrics (SPEC §8), null when nothing counts (tests). Sessions count
  // into their io thread's counters (Counters()); the control plane and the node
  // call its hooks (kills, RecordReload, SetDraining). Set at start-up.
  metrics::Metrics* metrics = nullptr;
  // Any thread: io thread `index`'s counters; a shared sink when metrics is null.
  metrics::ThreadCounters& Counters(int index) const {
    static metrics::ThreadCounters discard;
    return metrics ? metrics->thread(index) : discard;
  }

  // SPEC §2 TLS: the SQL port's context (null: TLS not offered) and one per backend
  // whose `tls` is not off. Built at start; read-only after.
  std::shared_ptr<asio::ssl::context> sql_tls;
  absl::flat_hash_map<const config::Backend*, std::shared_ptr<asio::ssl::context>> backend_tls;
  asio::ssl::context* BackendTls(const config::Backend* b) const {
    auto it = backend_tls.find(b);
    return it == backend_tls.end() ? nullptr : it->second.get();
  }

  // Recorded when a server session connects (not per packet).
  void RecordConnect(const std::string& tenant, const std::string& backend, const absl::Status& s) {
    MutexLock lock(&health_mu);
    BackendHealth& h = health[tenant + "/" + backend];
    h.state = s.ok() ? BackendHealth::kUp : BackendHealth::kDown;
    h.last_error = s.ok() ? "" : std::string(s.message());
  }
  BackendHealth Health(const std::string& tenant, const std::string& backend) const {
    MutexLock lock(&health_mu);
    auto it = health.find(tenant + "/" + backend);
    return it == health.end() ? BackendHealth{} : it->second;
  }
  mutable Mutex health_mu;
  absl::flat_hash_map<std::string, BackendHealth> health ABSL_GUARDED_BY(health_mu);
};

}  // namespace obp::session
