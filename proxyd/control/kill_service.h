// KillService: the one place where a kill happens (SPEC §3): resolve the id (cs_id
// first, then a backend connection_id, refusing ambiguity), check the caller may
// see and end the target, act on the target's own thread, and write the audit line.
// The SQL front door (KILL ..., COM_PROCESS_KILL) and the gRPC KillSession both
// call Kill().
//
// It sees sessions only as handles from the registry: it reads their published
// snapshot to decide, and acts through the handle's verbs, which run on the
// target's own executor.
//
// Thread rule: safe from any thread; Kill() is a coroutine that may run on any
// io_context.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/core/mutex.h"
#include "proxyd/config/config.h"
#include "proxyd/control/audit_log.h"
#include "proxyd/control/refusal_limiter.h"
#include "proxyd/control/registry.h"
#include "proxyd/metrics/metrics.h"
#include "proxyd/session/session_info.h"

namespace obp::control {

class PeerForwarder;

// Who asks. From SQL: the session's user; from gRPC: a token name (admin rights) or
// a peer node forwarding a SQL caller's identity.
struct Caller {
  std::string user;
  std::string tenant;
  bool admin = false;
  uint32_t cs_id = 0;  // the caller's own session, 0 when not a SQL session
  std::string host;    // the SQL caller's "ip:port"; empty otherwise
  std::string actor;   // for the audit log: "app@sys from 127.0.0.1:5000", "token:ops", "node:2"
  metrics::KillSource source = metrics::KillSource::kSql;  // the front door it came through
};

// True if `caller` may see `target` (SHOW PROXYSESSION's rule, SPEC §3): admins
// every session, others the sessions of their own user in their own tenant.
bool Visible(const Caller& caller, const session::SessionInfo& target);

enum class Mode { kConnection, kQuery };

struct KillRequest;
// How a session ended by this kill is remembered (SPEC §9): killed (or drain) by
// the caller's actor, via its front door, for the request's reason.
session::SessionEnd EndOf(const Caller& caller, const KillRequest& request);

struct KillRequest {
  uint64_t id = 0;
  enum class IdKind { kAny, kCsId, kConnectionId } id_kind = IdKind::kAny;
  std::string backend;                // narrows a connection_id to one backend
  std::optional<uint64_t> ss_id;      // end only this server session
  Mode mode = Mode::kConnection;
  std::string reason;
  bool dry_run = false;
  bool allow_forward = false;  // SQL kills may be forwarded to peers; gRPC ones never
  // The caller stops waiting then: the kill acts only before it (SPEC §3 "Across
  // the fleet"), so a kill reported as timed out never happens later.
  absl::Time not_after = absl::InfiniteFuture();
  // SPEC §9 selectors: kill only if the target still matches, checked on its own
  // thread right before acting (KillResult::no_longer_matches otherwise).
  session::SessionHandle::Guard only_if;
  // The drain's kill (Drainer): the session's history says drain, not killed.
  bool drain = false;
};

struct KilledServerSession {
  uint32_t ss_id = 0;
  std::string backend;
  uint32_t connection_id = 0;
  bool backend_kill = false;  // ended on its backend with KILL, not just closed
};

struct KillResult {
  uint32_t node_id = 0;
  uint32_t cs_id = 0;
  uint32_t ss_id = 0;
  std::vector<uint32_t> connection_ids;  // backend threads affected
  std::vector<KilledServerSession> server_sessions;
  bool nothing_running = false;          // KILL QUERY of an idle session
  bool self = false;                     // the caller killed its own session
  bool dry_run = false;
  // only_if no longer held: nothing was done (audited "no longer matches").
  bool no_longer_matches = false;
  // Set when the session was closed but a backend did not confirm its KILL:
  // "Backend KILL of connection N on 'B' not confirmed: REASON" (SPEC §3).
  std::string unconfirmed;
};

// Statuses returned: NotFound (1094 Unknown thread id), PermissionDenied (1095 not
// owner), FailedPrecondition (1105 ambiguous connection id, message lists them),
// Unavailable (2013 peer unreachable), DeadlineExceeded (the caller's not_after
// passed first: nothing done), Aborted (1105: KILL QUERY not confirmed by the
// backend). A kill that closed the session but whose backend KILL was not
// confirmed is OK with KillResult::unconfirmed set.
class KillService {
 public:
  // `audit_log`: the config's audit_log (empty: none, "-": stderr).
  KillService(uint32_t node_id, std::string audit_log, const SessionRegistry* registry);
  ~KillService();
  // Any thread (at start, and by a reload, SPEC §8): the peers SQL kills are
  // forwarded to from now on (none: null). A kill already forwarding keeps the
  // peers it started with.
  void SetPeers(std::shared_ptr<PeerForwarder> peers);
  // Any thread (a reload): where audit lines go from now on.
  void SetAuditLog(std::string audit_log);
  // Before the node serves: where every audited kill is also counted (null: nowhere).
  void SetMetrics(metrics::Metrics* metrics) { metrics_ = metrics; }
  asio::awaitable<absl::StatusOr<KillResult>> Kill(Caller caller, KillRequest request);
  // Resolves an id to a session of this node (SPEC §3 "Resolving an id": a cs_id
  // first, then a backend connection_id, refusing ambiguity). Visibility is the
  // caller's business.
  absl::StatusOr<HandlePtr> Resolve(const KillRequest& request) const;
  // Any thread: one audit line (SPEC §6) for a kill refused before it got here
  // (the gRPC token and argument checks). Kill() writes its own.
  // `unauthenticated_from`: the client address of a caller without a valid token;
  // such refusals are rate-limited per address (RefusalLimiter).
  void AuditRefusal(const Caller& caller, const KillRequest& request, const absl::Status& why,
                    absl::string_view unauthenticated_from = {});

 private:
  // One audit line: `target` is what the kill resolved to (null if nothing),
  // `result` "ok", "partial", "failed" or the refusal, `detail` why. The kill is
  // counted in the metrics here, once, as `outcome`.
  void Audit(const Caller& caller, const KillRequest& request, const KillResult* target,
             absl::string_view result, absl::string_view detail, metrics::KillOutcome outcome);
  void Count(const Caller& caller, const KillRequest& request, metrics::KillOutcome outcome);
  absl::StatusOr<KillResult> Check(const Caller& caller, const KillRequest& request) const;
  asio::awaitable<absl::StatusOr<KillResult>> Forward(std::shared_ptr<PeerForwarder> peers,
                                                      const Caller& caller,
                                                      const KillRequest& request);
  asio::awaitable<absl::Status> Act(const Caller& caller, const KillRequest& request,
                                    const KillResult& checked);

  const uint32_t node_id_;
  const SessionRegistry* registry_;
  AuditRecord Record(const Caller& caller, const KillRequest& request, const KillResult* target,
                     absl::string_view result, absl::string_view detail) const;

  mutable Mutex peers_mu_;  // held only to copy or swap the pointer
  std::shared_ptr<PeerForwarder> peers_ ABSL_GUARDED_BY(peers_mu_);
  std::shared_ptr<PeerForwarder> Peers() const {
    MutexLock lock(&peers_mu_);
    return peers_;
  }
  metrics::Metrics* metrics_ = nullptr;
  Mutex audit_mu_;  // one line at a time in the audit log
  std::string audit_log_ ABSL_GUARDED_BY(audit_mu_);
  RefusalLimiter limiter_ ABSL_GUARDED_BY(audit_mu_);
};

}  // namespace obp::control
