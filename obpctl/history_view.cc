#include "obpctl/history_view.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;
using google::protobuf::util::TimeUtil;

// DETAIL is the last column and the answer to "why": only a runaway text is cut.
constexpr size_t kDetailWidth = 120;

absl::Time ToAbsl(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string TimeCell(const pb::EndedSession& s, bool created, absl::Time now, absl::TimeZone tz) {
  const bool has = created ? s.has_created_at() : s.has_ended_at();
  if (!has) return "-";
  return ShortTime(ToAbsl(created ? s.created_at() : s.ended_at()), now, tz);
}

std::string Lifetime(const pb::EndedSession& s) {
  if (!s.has_created_at() || !s.has_ended_at()) return "-";
  return HumanDuration(ToAbsl(s.ended_at()) - ToAbsl(s.created_at()));
}

uint32_t NodeIdOf(const fleet::NodeResult<pb::ListEndedSessionsResponse>& r) {
  return r.response.node_id() != 0 ? r.response.node_id() : r.node.id;
}

}  // namespace

absl::Status CheckEndReason(const std::string& reason) {
  for (const char* r : kEndReasons) {
    if (reason == r) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("--reason: unknown reason \"", reason,
                                                 "\"; expected one of ",
                                                 absl::StrJoin(kEndReasons, ", ")));
}

std::vector<pb::EndedSession> MergeEnded(const EndedResults& results) {
  std::vector<pb::EndedSession> out;
  for (const auto& r : results) {
    if (!r.status.ok()) continue;
    for (const auto& s : r.response.sessions()) {
      out.push_back(s);
      if (out.back().node_id() == 0) out.back().set_node_id(NodeIdOf(r));
    }
  }
  auto key = [](const pb::EndedSession& s) {
    return std::make_tuple(s.ended_at().seconds(), s.ended_at().nanos(), s.node_id(), s.cs_id());
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return out;
}

std::string ShortTime(absl::Time t, absl::Time now, absl::TimeZone tz) {
  const bool today = absl::FormatTime("%Y-%m-%d", t, tz) == absl::FormatTime("%Y-%m-%d", now, tz);
  return absl::FormatTime(today ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", t, tz);
}

std::string EndDetail(const pb::EndedSession& s) {
  if (s.actor().empty() || (s.reason() != "killed" && s.reason() != "drain")) return s.detail();
  std::string out = absl::StrCat("by ", s.actor());
  if (!s.via().empty()) absl::StrAppend(&out, " via ", s.via());
  if (!s.detail().empty()) absl::StrAppend(&out, ": ", s.detail());
  return out;
}

Table HistoryTable(const std::vector<pb::EndedSession>& sessions, bool wide, absl::Time now,
                   absl::TimeZone tz) {
  std::vector<std::string> header = {"ENDED", "NODE", "CS_ID",  "USER",
                                     "TENANT", "HOST", "REASON", "DETAIL"};
  if (wide) {
    header.insert(header.end(), {"DB", "CREATED", "DURATION", "STMTS", "TRX", "IN", "OUT",
                                 "LAST_STATEMENT"});
  }
  Table table(std::move(header));
  for (const auto& s : sessions) {
    std::vector<std::string> row = {TimeCell(s, false, now, tz), absl::StrCat(s.node_id()),
                                    absl::StrCat(s.cs_id()),     TableCell(s.user(), 32),
                                    TableCell(s.tenant(), 32),   TableCell(s.client_host(), 48),
                                    s.reason(),                  TableCell(EndDetail(s), kDetailWidth)};
    if (wide) {
      row.insert(row.end(), {s.has_db() ? s.db() : "NULL", TimeCell(s, true, now, tz), Lifetime(s),
                             absl::StrCat(s.statements()), absl::StrCat(s.trans_count()),
                             absl::StrCat(s.bytes_from_client()), absl::StrCat(s.bytes_to_client()),
                             TableCell(s.last_statement(), kStatementCellWidth)});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

std::string HistoryNodesJson(const EndedResults& results) {
  std::vector<std::string> items;
  for (const auto& r : results) {
    if (!r.status.ok()) continue;
    const auto& resp = r.response;
    items.push_back(absl::StrCat(
        "{\"node_id\":", NodeIdOf(r), ",\"address\":", JsonString(r.node.address),
        ",\"kept_since\":",
        resp.has_kept_since() ? JsonString(TimeUtil::ToString(resp.kept_since())) : "null",
        ",\"forgotten\":\"", resp.forgotten(), "\",\"history_size\":", resp.history_size(), "}"));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::vector<std::string> ForgottenNotes(const EndedResults& results,
                                        std::optional<absl::Time> since, absl::Time now,
                                        absl::TimeZone tz) {
  std::vector<std::string> notes;
  for (const auto& r : results) {
    const auto& resp = r.response;
    if (!r.status.ok() || resp.forgotten() == 0 || !resp.has_kept_since()) continue;
    const absl::Time kept = ToAbsl(resp.kept_since());
    if (since.has_value() && kept <= *since) continue;
    notes.push_back(absl::StrCat("node ", NodeIdOf(r), " remembers sessions only since ",
                                 ShortTime(kept, now, tz), " (history_size ",
                                 resp.history_size(), "; ", resp.forgotten(),
                                 " older ones forgotten)"));
  }
  return notes;
}

}  // namespace obp::ctl
