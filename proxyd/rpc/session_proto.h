// The protobuf format of control::SessionView (SPEC §4 Session), and the
// ListSessions filter.
//
// Thread rule: pure functions.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "obproxy/fleet/v1/session.pb.h"
#include "proxyd/control/session_view.h"
#include "proxyd/session/history.h"

namespace obp::rpc {

namespace pb = obproxy::fleet::v1;

void FillSession(const control::SessionView& v, pb::Session* out);
void FillVariable(const control::VariableView& v, pb::Variable* out);
// True if the session matches every set field of `filter`.
bool Matches(const pb::SessionFilter& filter, const session::SessionInfo& info, absl::Time now);

// ListEndedSessions (SPEC §9): one history entry, and the filter (InvalidArgument
// for an unknown reason).
void FillEnded(const session::EndedSession& e, uint32_t node_id, absl::string_view cluster,
               pb::EndedSession* out);
absl::StatusOr<session::HistoryFilter> HistoryFilterOf(const pb::EndedSessionFilter& f);

google::protobuf::Timestamp ToProto(absl::Time t);
google::protobuf::Duration ToProto(absl::Duration d);

}  // namespace obp::rpc
