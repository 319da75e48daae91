// StartUnary: one SessionService call on gRPC's callback API, with a
// deadline and the bearer token, reporting an absl::Status. Internal to
// obp_fleet_client. The call object owns its context, request and response
// and frees itself in the completion callback, so nothing on the caller's
// stack is referenced after StartUnary returns.
// Thread rule: call from any thread; `done` runs once on a gRPC thread.
#ifndef OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_
#define OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_

#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/fleet_client/grpc_status.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::fleet {

struct UnaryCallSetup {
  ::obproxy::fleet::v1::SessionService::Stub* stub;
  std::shared_ptr<const void> keep_alive;  // holds the stub's owner while in flight
  absl::Time deadline;
  std::string token;
};

// `invoke(async_iface, ctx, req, resp, on_done)` picks the rpc; it exists
// because the generated async methods are overloaded and so cannot be
// passed as member pointers.
template <class Req, class Resp, class Invoke>
void StartUnary(UnaryCallSetup setup, Req request, Invoke invoke,
                std::function<void(absl::Status, Resp)> done) {
  struct Call {
    grpc::ClientContext context;
    Req request;
    Resp response;
    std::shared_ptr<const void> keep_alive;
    std::function<void(absl::Status, Resp)> done;
  };
  auto* call = new Call;
  call->request = std::move(request);
  call->keep_alive = std::move(setup.keep_alive);
  call->done = std::move(done);
  call->context.set_deadline(absl::ToChronoTime(setup.deadline));
  if (!setup.token.empty()) {
    call->context.AddMetadata("authorization", "Bearer " + setup.token);
  }
  invoke(setup.stub->async(), &call->context, &call->request, &call->response,
         [call](grpc::Status status) {
           std::unique_ptr<Call> owned(call);
           owned->done(FromGrpcStatus(status), std::move(owned->response));
         });
}

}  // namespace obp::fleet

#endif  // OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_
