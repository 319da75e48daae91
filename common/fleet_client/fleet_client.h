// FleetClient: talks SessionService to every node of a fleet at once. Used by
// obpctl (through the blocking *Sync forms) and by proxyd to forward KILLs to
// peers (through the async forms, from its event loop).
//
// One channel and stub per node, kept for the client's life. Every call has a
// deadline (ClientOptions::timeout, per node); all nodes are asked in
// parallel with gRPC's callback API: no thread per call, and the async
// methods never block the calling thread. Their callbacks run on a gRPC
// thread, exactly once, after every node asked has answered or timed out;
// a callback should be short and must not call a *Sync method.
//
// Thread rule: a FleetClient is safe for concurrent use. Destroying it
// cancels the calls in flight and waits until their callbacks have run
// (with CANCELLED), so destroy it on a thread that is not running one of its
// callbacks (gRPC must not lose a channel's last reference on its own
// callback threads).
#ifndef OBP_COMMON_FLEET_CLIENT_FLEET_CLIENT_H_
#define OBP_COMMON_FLEET_CLIENT_FLEET_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "obproxy/fleet/v1/session.grpc.pb.h"

namespace obp::fleet {

namespace pb = ::obproxy::fleet::v1;

// One node to talk to. id 0 means "not known yet" (a node given only by
// address); the client learns it from the node's answers.
struct NodeTarget {
  uint32_t id = 0;
  std::string address;  // gRPC "host:port"
};

struct ClientOptions {
  absl::Duration timeout = absl::Seconds(2);  // per node, per operation
  std::string token;     // sent as "authorization: Bearer <token>" if set
  bool tls = false;      // TLS even without ca_file (system roots)
  std::string ca_file;   // PEM roots to verify nodes with; implies TLS
  std::string cert_file; // client certificate (mTLS); needs key_file; implies TLS
  std::string key_file;
  std::string server_name;  // TLS: expect this name instead of the host
  // ListSessionsAll and ListEndedSessionsAll stop following a node after this many pages.
  int max_pages = 1000;
};

// The answer of one node. `response` is meaningful only when status is OK.
template <class T>
struct NodeResult {
  NodeTarget node;
  absl::Status status;
  T response;
};

// One session found by connection_id.
struct ConnIdMatch {
  NodeTarget node;
  uint32_t cs_id = 0;
  std::string backend;  // backend of the server session with that connection_id
};

// Outcome of asking every node for a connection_id.
struct ResolveResult {
  std::vector<ConnIdMatch> matches;  // sorted by node id, then cs_id
  // Nodes that answered neither with a match nor NOT_FOUND: unreachable,
  // refused, or FAILED_PRECONDITION (ambiguous within that node).
  std::vector<std::pair<NodeTarget, absl::Status>> errors;

  // The single match, or why there is none:
  //   FAILED_PRECONDITION  several matches (or a node found it ambiguous);
  //                        the message lists "cs_id A on backend X (node N)".
  //   UNAVAILABLE / other  some node could not answer, so uniqueness is not
  //                        known (the first such error, naming the node).
  //   NOT_FOUND            no node has it.
  absl::StatusOr<ConnIdMatch> Unique(uint64_t connection_id) const;
};

// Which paged rpc FleetClient::PagedAll calls (fleet_client.cc).
template <class Req, class Resp>
struct PagedRpc;

template <class T>
using AllCallback = std::function<void(std::vector<NodeResult<T>>)>;
template <class T>
using OneCallback = std::function<void(absl::StatusOr<T>)>;

class FleetClient {
 public:
  // Fails with INVALID_ARGUMENT for an empty node list, an empty address,
  // cert without key (or the reverse), or an unreadable PEM file.
  static absl::StatusOr<std::unique_ptr<FleetClient>> Create(std::vector<NodeTarget> nodes,
                                                             ClientOptions options);
  // Cancels calls in flight and waits for their callbacks.
  // REQUIRES: not called from inside one of this client's callbacks.
  ~FleetClient();
  FleetClient(const FleetClient&) = delete;
  FleetClient& operator=(const FleetClient&) = delete;

  // The nodes in construction order, with ids learned so far.
  std::vector<NodeTarget> nodes() const;
  // Index of the node with this id, if known.
  std::optional<size_t> FindNode(uint32_t node_id) const;
  const ClientOptions& options() const { return *options_; }

  // --- every node, in parallel; results in nodes() order ---
  // Follows next_page_token until done (or max_pages); each node's pages
  // are merged into one response. All pages of a node share its deadline.
  void ListSessionsAll(const pb::ListSessionsRequest& request,
                       AllCallback<pb::ListSessionsResponse> done);
  // The same for each node's session history: every page of every node, each
  // node's pages merged into one response (sessions oldest end first; the
  // kept_since / forgotten / history_size of its last page).
  void ListEndedSessionsAll(const pb::ListEndedSessionsRequest& request,
                            AllCallback<pb::ListEndedSessionsResponse> done);
  // Also records each node's id. A node whose answer contradicts its
  // configured id gets FAILED_PRECONDITION (response still filled).
  void GetNodeInfoAll(AllCallback<pb::GetNodeInfoResponse> done);
  void GetAttributesAll(const pb::GetAttributesRequest& request,
                        AllCallback<pb::GetAttributesResponse> done);
  // GetAttributes(connection_id [+ backend]) on every node, gathered.
  void ResolveConnectionId(uint64_t connection_id, const std::string& backend,
                           std::function<void(ResolveResult)> done);

  // --- one node, by index into nodes() ---
  // REQUIRES: node_index < nodes().size().
  void GetAttributes(size_t node_index, const pb::GetAttributesRequest& request,
                     OneCallback<pb::GetAttributesResponse> done);
  void KillSession(size_t node_index, const pb::KillSessionRequest& request,
                   OneCallback<pb::KillSessionResponse> done);
  void GetNodeInfo(size_t node_index, OneCallback<pb::GetNodeInfoResponse> done);
  // The call's deadline is `deadline`, not options().timeout: a drain answers
  // when it has finished.
  void Drain(size_t node_index, const pb::DrainRequest& request, absl::Time deadline,
             OneCallback<pb::DrainResponse> done);

  // --- blocking forms for the CLI; never call from a gRPC callback ---
  std::vector<NodeResult<pb::ListSessionsResponse>> ListSessionsAllSync(
      const pb::ListSessionsRequest& request);
  std::vector<NodeResult<pb::ListEndedSessionsResponse>> ListEndedSessionsAllSync(
      const pb::ListEndedSessionsRequest& request);
  std::vector<NodeResult<pb::GetNodeInfoResponse>> GetNodeInfoAllSync();
  ResolveResult ResolveConnectionIdSync(uint64_t connection_id, const std::string& backend);
  absl::StatusOr<pb::GetAttributesResponse> GetAttributesSync(
      size_t node_index, const pb::GetAttributesRequest& request);
  absl::StatusOr<pb::KillSessionResponse> KillSessionSync(size_t node_index,
                                                          const pb::KillSessionRequest& request);
  absl::StatusOr<pb::DrainResponse> DrainSync(size_t node_index, const pb::DrainRequest& request,
                                              absl::Time deadline);

  struct Node;  // per-node channel, stub and learned id (fleet_client.cc)

 private:
  FleetClient(std::vector<std::shared_ptr<Node>> nodes, std::shared_ptr<const ClientOptions> options);

  // Runs `start(node, report)` for every node and calls `done` once all
  // reported. Used by the *All methods.
  template <class T>
  void FanOut(std::function<void(const std::shared_ptr<Node>&,
                                 std::function<void(absl::Status, T)>)> start,
              AllCallback<T> done);

  // Every page of every node (ListSessionsAll, ListEndedSessionsAll).
  template <class Req, class Resp>
  void PagedAll(const Req& request, const PagedRpc<Req, Resp>& rpc, AllCallback<Resp> done);

  const std::vector<std::shared_ptr<Node>> nodes_;
  const std::shared_ptr<const ClientOptions> options_;
};

}  // namespace obp::fleet

#endif  // OBP_COMMON_FLEET_CLIENT_FLEET_CLIENT_H_
