// SessionServiceImpl: obproxy.fleet.v1.SessionService on one node (SPEC §4).
//
// Thread rule: handlers run on gRPC threads (callback API); they copy session info
// from the registry and start kills on the KillService without blocking.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "proxyd/config/config.h"
#include "proxyd/session/proxy_context.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::rpc {

namespace pb = obproxy::fleet::v1;

class SessionServiceImpl final : public pb::SessionService::CallbackService {
 public:
  explicit SessionServiceImpl(session::ProxyContext* ctx) : ctx_(ctx) {}

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
  session::ProxyContext* ctx_;
};

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls);

}  // namespace obp::rpc
