// SessionServiceImpl: obproxy.fleet.v1.SessionService on one node (SPEC §4), the
// gRPC front door onto the registry and the kill path.
//
// Authorization (SPEC §6): with a tokens file, every call must carry
// "authorization: Bearer <token>" naming a known token (else UNAUTHENTICATED), and
// KillSession and Drain need the operator role (else PERMISSION_DENIED; kills audited). Without
// one, the service is open, as the loopback-only default port expects. Health and
// reflection are other services and stay open for probes.
//
// Requests are checked against the limits the proto's comments state, which are
// the contract (page_size, the shape of a cs_id, backend with cs_id, ss_id with
// QUERY, the reason's length).
//
// Thread rule: handlers run on gRPC threads (callback API); they copy session
// snapshots from the registry and start kills on an io thread without blocking.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/core/mutex.h"
#include "common/core/tsan.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"
#include "proxyd/control/drainer.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/registry.h"
#include "proxyd/rpc/tokens.h"
#include "proxyd/session/proxy_context.h"

namespace obp::rpc {

namespace pb = obproxy::fleet::v1;

// The proto's limits (session.proto).
inline constexpr int kDefaultPageSize = 500;
inline constexpr int kMaxPageSize = 1000;
inline constexpr size_t kMaxReasonBytes = 1024;
inline constexpr absl::Duration kMaxDrainTimeout = absl::Seconds(3600);

class SessionServiceImpl final : public pb::SessionService::CallbackService {
 public:
  // `tokens` null: no tokens file, every call is allowed. `max_calls`: the node's
  // grpc_max_concurrent_calls (fixed for the process).
  SessionServiceImpl(session::ProxyContext* ctx, const control::SessionRegistry* registry,
                     control::KillService* kills, control::Drainer* drainer,
                     std::shared_ptr<const TokenTable> tokens, int max_calls)
      : ctx_(ctx), registry_(registry), kills_(kills), drainer_(drainer), max_calls_(max_calls),
        tokens_(std::move(tokens)) {}

  // Any thread (SPEC §8 Reload): calls from now on are checked against `tokens`;
  // null opens the service. A call already past its check is not affected.
  void SetTokens(std::shared_ptr<const TokenTable> tokens);

  // The address the server bound, once it is known (GetNodeInfo's grpc_address).
  void SetAddress(std::string address);

  // After the gRPC server's Shutdown returned (every call has ended), before the
  // service is destroyed: states that ordering for TSan (see CallSlot).
  void AwaitCalls() const { HappensAfter(this); }

  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const pb::ListSessionsRequest* request,
                                         pb::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GetAttributes(grpc::CallbackServerContext* context,
                                          const pb::GetAttributesRequest* request,
                                          pb::GetAttributesResponse* response) override;
  grpc::ServerUnaryReactor* KillSession(grpc::CallbackServerContext* context,
                                        const pb::KillSessionRequest* request,
                                        pb::KillSessionResponse* response) override;
  grpc::ServerUnaryReactor* GetNodeInfo(grpc::CallbackServerContext* context,
                                        const pb::GetNodeInfoRequest* request,
                                        pb::GetNodeInfoResponse* response) override;
  // Answers when the drain has finished (SPEC §8); holds its call slot until then.
  grpc::ServerUnaryReactor* Drain(grpc::CallbackServerContext* context,
                                  const pb::DrainRequest* request,
                                  pb::DrainResponse* response) override;
  // SPEC §9, from ctx->history.
  grpc::ServerUnaryReactor* ListEndedSessions(grpc::CallbackServerContext* context,
                                              const pb::ListEndedSessionsRequest* request,
                                              pb::ListEndedSessionsResponse* response) override;

 private:
  // The caller's token identity: nullopt when the node has no tokens file,
  // UNAUTHENTICATED when it has one and the call carries no valid token. Every
  // role may call the read-only rpcs.
  absl::StatusOr<std::optional<Identity>> Authenticate(
      const grpc::CallbackServerContext& context) const;
  // PERMISSION_DENIED unless `who` is an operator (or there are no tokens).
  static absl::Status RequireOperator(const std::optional<Identity>& who, absl::string_view rpc);
  // INVALID_ARGUMENT for a ref the proto calls malformed; NOT_FOUND naming the
  // owner for a cs_id of another node.
  absl::Status CheckRef(const pb::SessionRef& ref) const;

  // One call in flight for as long as it lives (SPEC §4: calls in flight are
  // bounded by grpc_max_concurrent_calls). False when the node is at the limit.
  // Its end also tells TSan that the call's use of the service happens before the
  // service is destroyed: gRPC's Server::Shutdown waits for every handler, but
  // Debian's gRPC is uninstrumented, so without this a handler's last read of a
  // member and the delete at shutdown look like a race (AwaitCalls is the other end).
  class CallSlot {
   public:
    explicit CallSlot(SessionServiceImpl* service);
    CallSlot(CallSlot&& other) noexcept
        : service_(std::exchange(other.service_, nullptr)),
          counted_(std::exchange(other.counted_, false)) {}
    CallSlot(const CallSlot&) = delete;
    ~CallSlot();
    explicit operator bool() const { return counted_; }

   private:
    SessionServiceImpl* service_;
    bool counted_ = false;
  };

  session::ProxyContext* ctx_;
  const control::SessionRegistry* registry_;
  control::KillService* kills_;
  control::Drainer* drainer_;
  const int max_calls_;
  mutable Mutex tokens_mu_;  // held only to copy the pointer
  std::shared_ptr<const TokenTable> tokens_ ABSL_GUARDED_BY(tokens_mu_);
  std::atomic<int> in_flight_{0};
  mutable Mutex address_mu_;
  std::string address_ ABSL_GUARDED_BY(address_mu_);
};

}  // namespace obp::rpc
