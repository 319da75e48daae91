// StartUnary: one SessionService call on gRPC's callback API, with a
// deadline and the bearer token, reporting an absl::Status. Internal to
// obp_fleet_client. The call object owns its context, request and response
// and frees itself in the completion callback, so nothing on the caller's
// stack is referenced after StartUnary returns. CallTracker lets the owning
// client wait out its calls before closing its channels.
// Thread rule: call from any thread; `done` runs once on a gRPC thread.
#ifndef OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_
#define OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_

#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/core/mutex.h"
#include "common/core/tsan.h"
#include "common/fleet_client/grpc_status.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::fleet {

// Counts a client's calls in flight so the client can cancel them and wait
// for their callbacks before it lets go of its channels. gRPC must never
// drop the last reference to a channel on one of its own callback threads
// (the callback thread pool would be torn down from inside itself), and a
// ClientContext holds a channel reference; so every call's context is
// destroyed before the call is counted as finished, and the client keeps
// its channels until the count is zero.
class CallTracker {
 public:
  // Registers a call about to start. False once closing: don't start it.
  bool Begin(grpc::ClientContext* context) ABSL_LOCKS_EXCLUDED(mu_) {
    obp::MutexLock lock(&mu_);
    if (closing_) return false;
    live_.insert(context);
    ++pending_;
    return true;
  }
  // The call completed; its context is about to be destroyed.
  void Forget(grpc::ClientContext* context) ABSL_LOCKS_EXCLUDED(mu_) {
    obp::MutexLock lock(&mu_);
    live_.erase(context);
  }
  // The call's context is gone.
  void Finished() ABSL_LOCKS_EXCLUDED(mu_) {
    obp::MutexLock lock(&mu_);
    if (--pending_ == 0) idle_.SignalAll();
  }
  // Refuses new calls, cancels those in flight and waits until every
  // callback has finished. REQUIRES: not called on a gRPC callback thread.
  void CancelAllAndWait() ABSL_LOCKS_EXCLUDED(mu_) {
    obp::MutexLock lock(&mu_);
    closing_ = true;
    for (grpc::ClientContext* c : live_) c->TryCancel();
    while (pending_ != 0) idle_.Wait(&mu_);
  }

 private:
  obp::Mutex mu_;
  obp::CondVar idle_;  // signalled when pending_ drops to zero
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<grpc::ClientContext*> live_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
};

struct UnaryCallSetup {
  ::obproxy::fleet::v1::SessionService::Stub* stub;  // valid while the tracker has calls
  std::shared_ptr<CallTracker> tracker;
  absl::Time deadline;
  std::string token;
};

// `invoke(async_iface, ctx, req, resp, on_done)` picks the rpc; it exists
// because the generated async methods are overloaded and so cannot be
// passed as member pointers. If the client is closing, `done` runs at once
// with CANCELLED on the calling thread.
template <class Req, class Resp, class Invoke>
void StartUnary(UnaryCallSetup setup, Req request, Invoke invoke,
                std::function<void(absl::Status, Resp)> done) {
  struct Call {
    grpc::ClientContext context;
    Req request;
    Resp response;
    std::function<void(absl::Status, Resp)> done;
  };
  auto call = std::make_unique<Call>();
  if (!setup.tracker->Begin(&call->context)) {
    return done(absl::CancelledError("fleet client is shutting down"), Resp());
  }
  call->request = std::move(request);
  call->done = std::move(done);
  call->context.set_deadline(absl::ToChronoTime(setup.deadline));
  if (!setup.token.empty()) {
    call->context.AddMetadata("authorization", "Bearer " + setup.token);
  }
  Call* raw = call.release();
  std::function<void(grpc::Status)> on_done = [raw, tracker = std::move(setup.tracker)](
                                                  grpc::Status status) {
    HappensAfter(raw);
    std::unique_ptr<Call> owned(raw);
    auto done = std::move(owned->done);
    Resp response = std::move(owned->response);
    tracker->Forget(&owned->context);
    owned.reset();  // the context (and its channel reference) goes first
    done(FromGrpcStatus(status), std::move(response));
    done = nullptr;  // whatever the callback captured goes before Finished()
    tracker->Finished();
  };
  // gRPC runs on_done once, after the call completes, on one of its threads,
  // with everything written up to here visible. Its hand-off is invisible to
  // TSan (common/core/tsan.h), and so is the copy of on_done that its inline
  // setup makes and its threads later run: TSan skips the setup.
  HappensBefore(raw);
  TsanIgnoreAccesses ignore_grpc_setup;
  invoke(setup.stub->async(), &raw->context, &raw->request, &raw->response, std::move(on_done));
}

}  // namespace obp::fleet

#endif  // OBP_COMMON_FLEET_CLIENT_UNARY_CALL_H_
