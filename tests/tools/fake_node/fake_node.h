// FakeNode: an in-process SessionService with canned sessions, for testing
// obp_fleet_client and obpctl without proxyd. It follows the proto's
// documented semantics (filters, paging by cs_id, NOT_FOUND /
// FAILED_PRECONDITION / PERMISSION_DENIED, dry runs, statement selectors and
// only_if) on a fixed list, keeps a canned session history, and can
// be told to hang (every rpc waits until the caller gives up or the node
// stops) to play a dead node.
// Thread rule: handlers run on gRPC threads; accessors are safe from any
// thread.
#ifndef OBP_TESTS_TOOLS_FAKE_NODE_FAKE_NODE_H_
#define OBP_TESTS_TOOLS_FAKE_NODE_FAKE_NODE_H_

#include <grpcpp/server.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/core/mutex.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::testing {

namespace pb = ::obproxy::fleet::v1;

struct FakeNodeConfig {
  uint32_t node_id = 1;
  std::string listen = "127.0.0.1:0";
  std::vector<pb::Session> sessions;
  bool hang = false;  // every rpc blocks until cancelled or Stop()
  // token -> "viewer" | "operator". Empty: no token checks.
  std::map<std::string, std::string> tokens;
  int default_page_size = 2;  // small on purpose, so clients must page
  // The history ListEndedSessions answers from, in any order (served oldest
  // end first), and what it says about what it forgot.
  std::vector<pb::EndedSession> ended;
  uint64_t forgotten = 0;
  uint32_t history_size = 10000;
  // cs_ids whose statement finishes right before a kill reaches them: a kill
  // with only_if then sees them idle (KILL_OUTCOME_NO_LONGER_MATCHES).
  std::vector<uint32_t> finish_before_kill;
};

// An ended session as a fake node remembers it: ended `ended_at`, created a
// minute before, with reason and detail.
pb::EndedSession MakeEnded(uint32_t node_id, uint32_t seq, const std::string& user,
                           absl::Time ended_at, const std::string& reason,
                           const std::string& detail = "");

// A session as a fake node holds it. `conn_ids` become server sessions on
// backends "primary", "replica1", ... in order.
pb::Session MakeSession(uint32_t node_id, uint32_t seq, const std::string& user,
                        const std::string& tenant, std::vector<uint64_t> conn_ids = {});

class FakeNode {
 public:
  static absl::StatusOr<std::unique_ptr<FakeNode>> Start(FakeNodeConfig config);
  ~FakeNode();  // Stop()

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void Stop();

  // The `authorization` metadata of the last call ("" if none).
  std::string last_authorization() const;
  // Every KillSession request that passed the token check, in order.
  std::vector<pb::KillSessionRequest> kills() const;

  class Service;

 private:
  FakeNode() = default;
  int port_ = 0;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace obp::testing

#endif  // OBP_TESTS_TOOLS_FAKE_NODE_FAKE_NODE_H_
