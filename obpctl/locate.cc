#include "obpctl/locate.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/core/ids.h"
#include "obpctl/report.h"

namespace obp::ctl {
namespace {

bool AnyIdUnknown(const fleet::FleetClient& client) {
  for (const auto& n : client.nodes()) {
    if (n.id == 0) return true;
  }
  return false;
}

std::optional<size_t> IndexOfAddress(const fleet::FleetClient& client, const std::string& addr) {
  const auto nodes = client.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].address == addr) return i;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<size_t> NodeIndexById(fleet::FleetClient& client, uint32_t node_id) {
  if (auto i = client.FindNode(node_id)) return *i;
  if (!AnyIdUnknown(client)) {
    return absl::NotFoundError(absl::StrCat("node ", node_id, " is not in the fleet"));
  }
  // Some nodes were given by address only: ask them who they are.
  absl::Status unanswered;
  for (const auto& r : client.GetNodeInfoAllSync()) {
    if (!r.status.ok() && r.node.id == 0 && unanswered.ok()) {
      unanswered = absl::Status(r.status.code(), absl::StrCat(NodeLabel(r.node), ": ",
                                                              StatusText(r.status)));
    }
  }
  if (auto i = client.FindNode(node_id)) return *i;
  if (!unanswered.ok()) {
    return absl::Status(unanswered.code(),
                        absl::StrCat("cannot tell which node is node ", node_id, ": ",
                                     unanswered.message()));
  }
  return absl::NotFoundError(absl::StrCat("node ", node_id, " is not in the fleet"));
}

absl::StatusOr<Located> LocateSession(fleet::FleetClient& client, std::optional<uint64_t> cs_id,
                                      std::optional<uint64_t> connection_id,
                                      const std::string& backend) {
  if (cs_id.has_value() == connection_id.has_value()) {
    return absl::InvalidArgumentError("give exactly one of --cs-id and --conn-id");
  }
  if (cs_id) {
    if (!backend.empty()) return absl::InvalidArgumentError("--backend goes with --conn-id only");
    if (!IsValidCsIdShape(*cs_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(*cs_id, " is not a cs_id (1..2^31-1 with a non-zero sequence part)"));
    }
    const uint32_t node_id = NodeIdOfCsId(*cs_id);
    auto index = NodeIndexById(client, node_id);
    if (!index.ok()) {
      return absl::Status(index.status().code(),
                          absl::StrCat("cs_id ", *cs_id, " belongs to node ", node_id, ": ",
                                       index.status().message()));
    }
    return Located{*index, static_cast<uint32_t>(*cs_id)};
  }
  const fleet::ResolveResult resolved = client.ResolveConnectionIdSync(*connection_id, backend);
  auto match = resolved.Unique(*connection_id);
  if (!match.ok()) return match.status();
  auto index = IndexOfAddress(client, match->node.address);
  if (!index) return absl::InternalError("resolved to a node outside the fleet");
  return Located{*index, match->cs_id};
}

absl::StatusOr<uint32_t> NodeIdFilter(const std::string& command, const std::string& text) {
  if (text.empty()) return 0;
  uint32_t id = 0;
  if (absl::SimpleAtoi(text, &id) && id >= 1 && id <= kMaxNodeId) return id;
  if (text.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, " --node takes a node id (1..8191), got \"", text,
                     "\"; to name a node by address, give --node before the command: "
                     "obpctl --node ", text, " ", command));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(command, " --node: expected a node id 1..8191, got \"", text, "\""));
}

absl::StatusOr<std::unique_ptr<fleet::FleetClient>> ClientForNode(const GlobalFlags& flags,
                                                                 uint32_t node_id) {
  auto client = ClientFromFlags(flags);
  if (!client.ok() || node_id == 0) return client;
  auto index = NodeIndexById(**client, node_id);
  if (!index.ok()) return index.status();
  return fleet::FleetClient::Create({(*client)->nodes()[*index]}, (*client)->options());
}

}  // namespace obp::ctl
