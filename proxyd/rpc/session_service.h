// SessionServiceImpl: obproxy.fleet.v1.SessionService on one node (SPEC §4).
//
// Authorization (SPEC §6): with a tokens file, every call must carry
// "authorization: Bearer <token>" naming a known token (else UNAUTHENTICATED), and
// KillSession needs the operator role (else PERMISSION_DENIED, audited). Without
// one, the service is open, as the loopback-only default port expects. Health and
// reflection are other services and stay open for probes.
//
// Thread rule: handlers run on gRPC threads (callback API); they copy session info
// from the registry and start kills on the KillService without blocking.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "proxyd/config/config.h"
#include "proxyd/rpc/tokens.h"
#include "proxyd/session/proxy_context.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::rpc {

namespace pb = obproxy::fleet::v1;

class SessionServiceImpl final : public pb::SessionService::CallbackService {
 public:
  // `tokens` null: no tokens file, every call is allowed.
  SessionServiceImpl(session::ProxyContext* ctx, std::shared_ptr<const TokenTable> tokens)
      : ctx_(ctx), tokens_(std::move(tokens)) {}

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

 private:
  // The caller's token identity: nullopt when the node has no tokens file,
  // UNAUTHENTICATED when it has one and the call carries no valid token. Every
  // role may call the read-only rpcs.
  absl::StatusOr<std::optional<Identity>> Authenticate(
      const grpc::CallbackServerContext& context) const;
  // PERMISSION_DENIED unless `who` is an operator (or there are no tokens).
  static absl::Status RequireOperator(const std::optional<Identity>& who, absl::string_view rpc);

  session::ProxyContext* ctx_;
  std::shared_ptr<const TokenTable> tokens_;
};

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls);

}  // namespace obp::rpc
