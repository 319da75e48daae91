// Finding a session by backend connection_id across the fleet: every node is
// asked GetAttributes(connection_id [+ backend]) in parallel, and the answers
// are gathered into matches and errors. Deciding what to do with them
// (ResolveResult::Unique) is kept next to it so obpctl and proxyd refuse
// ambiguity the same way.
#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fleet_client/fleet_client.h"
#include "common/fleet_client/grpc_status.h"

namespace obp::fleet {
namespace {

// The backends of `session` whose server session has `connection_id`
// (restricted to `backend` when given). Usually exactly one.
std::vector<std::string> MatchingBackends(const pb::Session& session, uint64_t connection_id,
                                          const std::string& backend) {
  std::vector<std::string> out;
  for (const auto& ss : session.server_sessions()) {
    if (ss.connection_id() != connection_id) continue;
    if (!backend.empty() && ss.backend() != backend) continue;
    out.push_back(ss.backend());
  }
  return out;
}

std::string Describe(const NodeTarget& node) {
  return node.id != 0 ? absl::StrCat("node ", node.id, " (", node.address, ")")
                      : absl::StrCat("node ", node.address);
}

}  // namespace

void FleetClient::ResolveConnectionId(uint64_t connection_id, const std::string& backend,
                                      std::function<void(ResolveResult)> done) {
  pb::GetAttributesRequest request;
  request.mutable_ref()->set_connection_id(connection_id);
  request.mutable_ref()->set_backend(backend);
  GetAttributesAll(request, [connection_id, backend, done = std::move(done)](
                                std::vector<NodeResult<pb::GetAttributesResponse>> results) {
    ResolveResult out;
    for (auto& r : results) {
      if (absl::IsNotFound(r.status)) continue;
      if (!r.status.ok()) {
        out.errors.emplace_back(r.node, r.status);
        continue;
      }
      const auto& session = r.response.session();
      std::vector<std::string> backends = MatchingBackends(session, connection_id, backend);
      // A node that answered OK matched on something; trust its answer even if
      // the server sessions were not filled in.
      if (backends.empty()) backends.push_back(backend);
      for (auto& b : backends) out.matches.push_back(ConnIdMatch{r.node, session.cs_id(), b});
    }
    std::sort(out.matches.begin(), out.matches.end(), [](const auto& a, const auto& b) {
      return std::tie(a.node.id, a.cs_id, a.backend) < std::tie(b.node.id, b.cs_id, b.backend);
    });
    done(std::move(out));
  });
}

absl::StatusOr<ConnIdMatch> ResolveResult::Unique(uint64_t connection_id) const {
  std::vector<std::string> candidates;
  for (const auto& m : matches) {
    candidates.push_back(absl::StrCat("cs_id ", m.cs_id, " on backend ",
                                      m.backend.empty() ? "?" : m.backend, " (",
                                      Describe(m.node), ")"));
  }
  for (const auto& [node, status] : errors) {
    if (absl::IsFailedPrecondition(status)) {
      candidates.push_back(absl::StrCat(Describe(node), ": ", status.message()));
    }
  }
  if (candidates.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Ambiguous connection id ", connection_id, ": matches ", absl::StrJoin(candidates, ", ")));
  }
  for (const auto& [node, status] : errors) {
    if (absl::IsFailedPrecondition(status)) continue;
    return absl::Status(status.code(),
                        absl::StrCat("cannot tell whether connection id ", connection_id,
                                     " is unique: ", Describe(node), ": ", StatusText(status)));
  }
  if (matches.size() == 1 && candidates.size() == 1) return matches.front();
  if (!candidates.empty()) {
    // A single node reported ambiguity on its own backends.
    return absl::FailedPreconditionError(absl::StrCat("Ambiguous connection id ", connection_id,
                                                      ": ", candidates.front()));
  }
  return absl::NotFoundError(absl::StrCat("Unknown connection id: ", connection_id));
}

}  // namespace obp::fleet
