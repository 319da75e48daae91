// RpcServer: the node's gRPC endpoint (SPEC §4): SessionService, grpc.health.v1
// and server reflection, on config.grpc_listen.
//
// Thread rule: Start/Shutdown from the main thread; SetTokens from any thread.
// Handlers run on gRPC's threads
// and never block on a session: they read the registry and hand kills to the
// KillService, which acts on the session's own thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "proxyd/control/drainer.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/registry.h"
#include "proxyd/rpc/tokens.h"
#include "proxyd/session/proxy_context.h"

namespace obp::rpc {

class RpcServer {
 public:
  virtual ~RpcServer() = default;
  virtual std::string address() const = 0;  // host:port actually bound
  // grpc.health.v1: SERVING until a drain turns it NOT_SERVING (SPEC §8).
  virtual void SetServing(bool serving) = 0;
  virtual void Shutdown() = 0;
  // SPEC §8 Reload: the tokens later calls are checked against (null: none needed).
  virtual void SetTokens(std::shared_ptr<const TokenTable> tokens) = 0;
};

// The tokens file `c` names, loaded (null when it names none: the service is
// open). Used at start and by a reload, which checks it before applying anything.
absl::StatusOr<std::shared_ptr<const TokenTable>> LoadConfiguredTokens(
    const config::ProxyConfig& c);

// Serves on `c`'s grpc_listen with its [grpc_tls] and call limit, checking calls
// against `tokens`.
absl::StatusOr<std::unique_ptr<RpcServer>> StartRpcServer(const config::ProxyConfig& c,
                                                          std::shared_ptr<const TokenTable> tokens,
                                                          session::ProxyContext* ctx,
                                                          const control::SessionRegistry* registry,
                                                          control::KillService* kills,
                                                          control::Drainer* drainer);

}  // namespace obp::rpc
