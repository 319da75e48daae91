// ProxyContext: what every client session of a node shares: the current
// configuration generation, node identity, id generators, the backend pools and
// the front door for proxy statements. Built once at start-up by the node; it
// names nothing above the session layer (the registry and the kill path hold
// sessions, not the reverse).
//
// Thread rule: immutable after start-up except the atomics, the pools, the health
// table and the configuration holder, which are safe for concurrent use, and the
// tickers, each used only by its own io thread.
#pragma once

#include <spdlog/spdlog.h>

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
#include "proxyd/session/history.h"
#include "proxyd/session/runtime_config.h"
#include "proxyd/session/statement_ticker.h"

namespace obp::net { class IoPool; }

namespace obp::session {

class AdminFrontDoor;

// What the node last learned about a backend from connecting to it.
struct BackendHealth {
  enum State { kUnknown, kUp, kDown } state = kUnknown;
  std::string last_error;
};

struct ProxyContext {
  // SPEC §8 Reload: the configuration in force, replaced whole by a reload. A
  // client session reads it once, when it starts; other readers once per call.
  RuntimeConfigHolder runtime;
  std::shared_ptr<const RuntimeConfig> Current() const { return runtime.Get(); }
  // Fixed for the process (a reload keeps it): cs_ids carry it.
  uint32_t node_id = 0;
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
  std::vector<std::unique_ptr<StatementTicker>> tickers;

  // Any thread: the pool figures for `backend`, summed over every io thread.
  PoolStats PoolStatsFor(const std::string& tenant, const config::Backend& backend) const {
    PoolStats sum;
    for (const auto& p : pools) sum += p->Stats(tenant, backend);
    return sum;
  }
  std::atomic<bool> stopping{false};
  // Counts the SET GLOBAL statements that succeeded through this node. A server
  // session's session defaults are MariaDB's globals of when it was opened or last
  // reset (COM_RESET_CONNECTION reads them again); one pooled without a reset under
  // an older count is reset before reuse, so a login after SET GLOBAL gets the new
  // defaults, as a direct login would. Relaxed: it only asks for one more reset.
  std::atomic<uint64_t> globals_epoch{0};
  // Counts SET GLOBAL max_allowed_packet / net_buffer_length through this node.
  // MariaDB sizes a connection's packet limit at login and COM_RESET_CONNECTION
  // leaves it (the variable reads the new value, the limit does not follow), so a
  // pooled connection that logged in under an older count is closed, not reused.
  std::atomic<uint64_t> packet_limit_epoch{0};
  // SPEC §8 drain: set once, never cleared. Sessions read it after each command
  // (relaxed: the drain also posts CloseIfIdle to each, which orders the rest).
  std::atomic<bool> draining{false};
  // SPEC §9: where every ended session leaves its entry; null = nowhere (tests).
  SessionHistory* history = nullptr;
  // The node's metrics (SPEC §8), null when nothing counts (tests). Sessions count
  // into their io thread's counters (Counters()); the control plane and the node
  // call its hooks (kills, RecordReload, SetDraining). Set at start-up.
  metrics::Metrics* metrics = nullptr;
  // Any thread: io thread `index`'s counters; a shared sink when metrics is null.
  metrics::ThreadCounters& Counters(int index) const {
    static metrics::ThreadCounters discard;
    return metrics ? metrics->thread(index) : discard;
  }

  // Recorded when a server session connects (not per packet).
  // A change of state is logged once (SPEC §8: backend up at info, down at warn),
  // outside the lock.
  void RecordConnect(const std::string& tenant, const std::string& backend, const absl::Status& s) {
    const BackendHealth::State now = s.ok() ? BackendHealth::kUp : BackendHealth::kDown;
    BackendHealth::State before;
    {
      MutexLock lock(&health_mu);
      BackendHealth& h = health[tenant + "/" + backend];
      before = h.state;
      h.state = now;
      h.last_error = s.ok() ? "" : std::string(s.message());
    }
    if (before == now) return;
    if (now == BackendHealth::kUp) {
      spdlog::info("backend {}/{} up", tenant, backend);
    } else {
      spdlog::warn("backend {}/{} down: {}", tenant, backend, std::string(s.message()));
    }
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
