// Metrics: one node's Prometheus metrics (SPEC §8), as a prometheus::Collectable
// that the HTTP endpoint (endpoint.h) scrapes.
//
// Three kinds of figures, each kept where it is cheapest:
//  - data-path events (commands, statement latency, accepted/refused connections,
//    login failures) in per-io-thread counters (counters.h), summed at scrape time;
//  - rare events (kills, forwarded kills, reloads, draining, the bytes of ended
//    sessions) in relaxed atomics here, indexed by enums, never by label text;
//  - values that already exist elsewhere (live sessions by tenant and state, server
//    sessions and pooled connections per backend, backend health, the live sessions'
//    bytes) read at scrape time through a SnapshotSource the node installs, so
//    they cost the data path nothing.
// This layer names nothing above it: the node's SnapshotSource reads the registry
// and the pools, and the session and control layers call the Count* hooks.
//
// Thread rule: everything is safe from any thread. SetSource before the endpoint
// starts; Collect runs on the HTTP server's threads.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/core/mutex.h"
#include "proxyd/metrics/counters.h"

namespace obp::metrics {

// Who asked for a kill: a SQL session of this node, a gRPC operator, or a peer
// node forwarding its SQL caller's kill.
enum class KillSource : uint8_t { kSql, kGrpc, kPeer, kCount };
enum class KillMode : uint8_t { kConnection, kQuery, kCount };
// How a kill ended, as its audit line says it (refusals grouped by their kind).
enum class KillOutcome : uint8_t {
  kOk,
  kPartial,      // session closed, a backend KILL not confirmed
  kFailed,       // KILL QUERY not confirmed
  kExpired,      // the caller's deadline passed first
  kDryRun,       // checked, not done
  kNoLongerMatches,  // its selector no longer held when it was to act: not done
  kNotFound,     // unknown thread id
  kDenied,       // not the owner, no operator token, bad token
  kAmbiguous,    // a connection id held by several sessions
  kUnreachable,  // a peer did not answer
  kRefused,      // any other refusal (bad argument, ...)
  kCount
};
const char* KillSourceName(KillSource s);    // "sql", "grpc", "peer"
const char* KillModeName(KillMode m);        // "connection", "query"
const char* KillOutcomeName(KillOutcome o);  // "ok", "not_found", ...
// "query", "stmt_execute", ... for a command byte; "unknown" for one with no name.
const char* CommandName(uint8_t command_byte);

// What the node reads at scrape time (see SnapshotSource).
struct SessionGroup {
  std::string tenant;  // empty while logging in
  std::string state;   // as SHOW PROXYSESSION says it: "MCS_ACTIVE_READER", ...
  uint64_t sessions = 0;
};
struct BackendFigures {
  std::string tenant, backend;
  uint64_t server_sessions = 0;  // held by live client sessions
  uint64_t pooled_idle = 0;      // waiting in the pools
  enum Health { kUnknown, kUp, kDown } health = kUnknown;
};
struct Snapshot {
  std::vector<SessionGroup> sessions;
  std::vector<BackendFigures> backends;
  uint64_t live_bytes_in = 0;   // from the clients of live sessions
  uint64_t live_bytes_out = 0;  // to them
};
using SnapshotSource = std::function<Snapshot()>;

class Metrics final : public prometheus::Collectable {
 public:
  explicit Metrics(int io_threads);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The counters of io thread `index` (0..io_threads-1).
  ThreadCounters& thread(int index) { return threads_[static_cast<size_t>(index)]; }
  void SetSource(SnapshotSource source);

  // Hooks for the control plane and the node.
  void CountKill(KillSource source, KillMode mode, KillOutcome outcome);
  void CountForwardedKill(KillOutcome outcome);
  void RecordReload(bool ok);
  void SetDraining(bool draining);
  // A session ended: its bytes move from the live sum to the ended total. Call it
  // after the session left what SnapshotSource reads (Collect never reports a total
  // lower than one it reported before, so the order cannot make a counter go back).
  void AddEndedSessionBytes(uint64_t in, uint64_t out);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  using Counter = std::atomic<uint64_t>;
  static constexpr size_t kSources = static_cast<size_t>(KillSource::kCount);
  static constexpr size_t kModes = static_cast<size_t>(KillMode::kCount);
  static constexpr size_t kOutcomes = static_cast<size_t>(KillOutcome::kCount);

  void CollectEvents(std::vector<prometheus::MetricFamily>* out) const;
  void CollectSnapshot(const Snapshot& snap, std::vector<prometheus::MetricFamily>* out) const;

  std::vector<ThreadCounters> threads_;
  std::array<std::array<std::array<Counter, kOutcomes>, kModes>, kSources> kills_{};
  std::array<Counter, kOutcomes> forwarded_kills_{};
  Counter reloads_ok_{0}, reloads_failed_{0};
  std::atomic<bool> draining_{false};
  Counter ended_bytes_in_{0}, ended_bytes_out_{0};

  mutable Mutex mu_;  // the source and the byte totals last reported; scrapes only
  SnapshotSource source_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t reported_in_ ABSL_GUARDED_BY(mu_) = 0;
  mutable uint64_t reported_out_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace obp::metrics
