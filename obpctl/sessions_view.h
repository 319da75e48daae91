// How obpctl shows sessions: merging the nodes' answers into one sorted
// list, the list table (normal and wide), and the `sessions show` text.
// Pure functions on proto messages; no I/O, no shared state.
#ifndef OBP_OBPCTL_SESSIONS_VIEW_H_
#define OBP_OBPCTL_SESSIONS_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/fleet_client/fleet_client.h"
#include "obpctl/table.h"

namespace obp::ctl {

// "MCS_KEEP_ALIVE", "keep_alive" or "Keep_Alive" -> MCS_KEEP_ALIVE.
absl::StatusOr<fleet::pb::ClientSessionState> ParseSessionState(const std::string& text);

// The sessions of every node that answered, sorted by node then cs_id. A
// session without node_id gets its answering node's id.
std::vector<fleet::pb::Session> MergeSessions(
    const std::vector<fleet::NodeResult<fleet::pb::ListSessionsResponse>>& results);

// The orders of `sessions list --sort`: id = node then cs_id (the default);
// time = the longest-running statement first; idle = the longest idle first.
// Ties fall back to node then cs_id, so the order is total.
enum class SessionOrder { kId, kTime, kIdle };

// "id" | "time" | "idle"; else INVALID_ARGUMENT naming --sort.
absl::StatusOr<SessionOrder> ParseSessionOrder(const std::string& text);
void SortSessions(std::vector<fleet::pb::Session>& sessions, SessionOrder order);

// NODE CS_ID TENANT USER HOST DB STATE IDLE SS [+ wide: PROXY_SESSID CLUSTER
// TRANS SSL CONN_IDS STMT_TIME STATEMENT].
Table SessionsTable(const std::vector<fleet::pb::Session>& sessions, bool wide);

// `sessions show` in text: the session's fields, then its server sessions
// and variables as tables.
std::string AttributesText(const fleet::pb::GetAttributesResponse& attrs);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_SESSIONS_VIEW_H_
