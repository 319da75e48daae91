// KillService: the one place where a kill happens (SPEC §3): resolve the id (cs_id
// first, then a backend connection_id, refusing ambiguity), check the caller may
// see and end the target, act on the target's own thread, and write the audit line.
// The SQL front door (KILL ..., COM_PROCESS_KILL) and the gRPC KillSession both
// call Kill().
//
// Thread rule: safe from any thread; Kill() is a coroutine that may run on any
// io_context and hops to the target session's executor to act.
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
#include "proxyd/session/proxy_context.h"

namespace obp::session { class ClientSession; struct SessionInfo; }

namespace obp::kill {

class PeerForwarder;

// Who asks. From SQL: the session's user; from gRPC: a token name (admin rights) or
// a peer node forwarding a SQL caller's identity.
struct Caller {
  std::string user;
  std::string tenant;
  bool admin = false;
  uint32_t cs_id = 0;  // the caller's own session, 0 when not a SQL session
  std::string actor;   // for the audit log: "app@sys from 127.0.0.1:5000", "token:ops", "node:2"
};

enum class Mode { kConnection, kQuery };

struct KillRequest {
  uint64_t id = 0;
  enum class IdKind { kAny, kCsId, kConnectionId } id_kind = IdKind::kAny;
  std::string backend;                // narrows a connection_id to one backend
  std::optional<uint64_t> ss_id;      // end only this server session
  Mode mode = Mode::kConnection;
  std::string reason;
  bool dry_run = false;
  bool allow_forward = false;  // SQL kills may be forwarded to peers; gRPC ones never
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
  bool allow_forward = false;  // SQL kills may be forwarded to peers; gRPC ones never
};

// Statuses returned: NotFound (1094 Unknown thread id), PermissionDenied (1095 not
// owner), FailedPrecondition (1105 ambiguous connection id, message lists them),
// Unavailable (2013 peer unreachable).
class KillService {
 public:
  explicit KillService(session::ProxyContext* ctx);
  ~KillService();
  void SetPeers(std::unique_ptr<PeerForwarder> peers);
  asio::awaitable<absl::StatusOr<KillResult>> Kill(Caller caller, KillRequest request);
  // Resolves an id to a visible session of this node, with the SPEC's rules.
  absl::StatusOr<std::shared_ptr<session::ClientSession>> Resolve(const Caller& caller,
                                                                  const KillRequest& request) const;
  // True if `caller` may see `target` (SHOW PROXYSESSION's rule).
  static bool Visible(const Caller& caller, const session::SessionInfo& target);
  void SetRpcAddress(std::string address) { rpc_address_ = std::move(address); }
  const std::string& rpc_address() const { return rpc_address_; }
  // Any thread: one audit line (SPEC §6). Kill() writes its own; callers that refuse
  // a kill before it gets here (the gRPC token check) write theirs through this.
  void Audit(const Caller& caller, const KillRequest& request,
             const absl::StatusOr<KillResult>& result);

 private:
  absl::StatusOr<KillResult> Check(const Caller& caller, const KillRequest& request) const;
  asio::awaitable<absl::StatusOr<KillResult>> Forward(const Caller& caller,
                                                      const KillRequest& request);
  asio::awaitable<absl::Status> Act(const KillRequest& request, const KillResult& checked);

  std::unique_ptr<PeerForwarder> peers_;

  session::ProxyContext* ctx_;
  std::string rpc_address_;
  obp::Mutex audit_mu_;
};

}  // namespace obp::kill
