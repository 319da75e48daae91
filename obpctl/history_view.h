// How obpctl shows session history (`sessions history`, SPEC §9): the end
// reasons it accepts, the nodes' answers merged by end time, the table
// (normal and wide), the JSON of each node's bookkeeping, and the notes about
// sessions a node has forgotten. Pure functions of their arguments (the
// current time and time zone are parameters); no I/O, no shared state.
#ifndef OBP_OBPCTL_HISTORY_VIEW_H_
#define OBP_OBPCTL_HISTORY_VIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/fleet_client/fleet_client.h"
#include "obpctl/table.h"

namespace obp::ctl {

using EndedResults = std::vector<fleet::NodeResult<fleet::pb::ListEndedSessionsResponse>>;

// The words EndedSession.reason takes, in the proto's order.
inline constexpr const char* kEndReasons[] = {
    "client_quit",  "client_gone",   "killed",       "backend_lost", "idle_timeout",
    "login_timeout", "login_failed", "drain",        "error"};

// OK for one of kEndReasons; else INVALID_ARGUMENT listing them.
absl::Status CheckEndReason(const std::string& reason);

// Every answering node's ended sessions, oldest end first (ties by node, then
// cs_id), like a log: the newest at the bottom. A session without node_id
// gets its answering node's id.
std::vector<fleet::pb::EndedSession> MergeEnded(const EndedResults& results);

// A local time as the table shows it: "14:03:07" on the day of `now`, else
// "2026-11-30 14:03:07" (both in `tz`).
std::string ShortTime(absl::Time t, absl::Time now, absl::TimeZone tz);

// DETAIL: "by ACTOR via VIA: REASON" for a kill (parts left out when empty),
// "by ACTOR: DETAIL" for a drain kill, else the detail.
std::string EndDetail(const fleet::pb::EndedSession& s);

// ENDED NODE CS_ID USER TENANT HOST REASON DETAIL [+ wide: DB CREATED DURATION
// STMTS TRX IN OUT LAST_STATEMENT]; times as ShortTime.
Table HistoryTable(const std::vector<fleet::pb::EndedSession>& sessions, bool wide,
                   absl::Time now, absl::TimeZone tz);

// One JSON object per answering node, in a JSON array:
// [{"node_id":1,"address":"127.0.0.1:7001","kept_since":"2026-12-01T07:00:00Z"
//   (null when it remembers none),"forgotten":"12","history_size":10000}].
std::string HistoryNodesJson(const EndedResults& results);

// One line per answering node that forgot sessions the request may have
// wanted: forgotten > 0 and kept_since later than `since` (any kept_since
// when since is nullopt, i.e. no --since):
// "node 2 remembers sessions only since 14:03:07 (history_size 100; 37 older
// ones forgotten)".
std::vector<std::string> ForgottenNotes(const EndedResults& results,
                                        std::optional<absl::Time> since, absl::Time now,
                                        absl::TimeZone tz);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_HISTORY_VIEW_H_
