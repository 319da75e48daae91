// Finding the node and cs_id a command targets, shared by `sessions show`
// and `kill`: a cs_id goes to the node named by its bits (learning node ids
// first if the fleet was given by address); a connection_id is looked up on
// every node and must match exactly one session.
// Runs on main's thread; blocks on the FleetClient.
#ifndef OBP_OBPCTL_LOCATE_H_
#define OBP_OBPCTL_LOCATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/fleet_client/fleet_client.h"
#include "obpctl/fleet_args.h"

namespace obp::ctl {

struct Located {
  size_t node_index = 0;  // into client.nodes()
  uint32_t cs_id = 0;
};

// Exactly one of cs_id / connection_id must be set (else INVALID_ARGUMENT).
// Errors: INVALID_ARGUMENT (malformed cs_id, backend with cs_id),
// NOT_FOUND (node not in the fleet, id unknown), FAILED_PRECONDITION
// (ambiguous connection_id, candidates listed), UNAVAILABLE and friends when
// a node that could hold the answer did not answer.
absl::StatusOr<Located> LocateSession(fleet::FleetClient& client, std::optional<uint64_t> cs_id,
                                      std::optional<uint64_t> connection_id,
                                      const std::string& backend);

// Index of the node whose id is `node_id`, asking every node with an
// unknown id for its GetNodeInfo first if needed.
absl::StatusOr<size_t> NodeIndexById(fleet::FleetClient& client, uint32_t node_id);

// `sessions list|history --node ID`: 0 when `text` is empty. The global
// --node HOST:PORT has the same name, and after these commands this one wins;
// an address here is refused with the way to say what was meant. `command`
// names the command in messages ("sessions list").
absl::StatusOr<uint32_t> NodeIdFilter(const std::string& command, const std::string& text);

// The client to ask: the whole fleet, or only node `node_id` when not 0.
absl::StatusOr<std::unique_ptr<fleet::FleetClient>> ClientForNode(const GlobalFlags& flags,
                                                                 uint32_t node_id);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_LOCATE_H_
