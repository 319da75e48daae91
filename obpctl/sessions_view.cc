#include "obpctl/sessions_view.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/time_util.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;
using google::protobuf::util::TimeUtil;

absl::Duration ToAbsl(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string Db(const pb::Session& s) { return s.has_db() ? s.db() : "NULL"; }

std::string ConnIds(const pb::Session& s) {
  std::vector<std::string> parts;
  for (const auto& ss : s.server_sessions()) {
    parts.push_back(absl::StrCat(ss.backend(), ":", ss.connection_id()));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

std::string Statement(const std::string& text) { return TableCell(text, kStatementCellWidth); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

absl::StatusOr<pb::ClientSessionState> ParseSessionState(const std::string& text) {
  std::string name = absl::AsciiStrToUpper(text);
  if (!absl::StartsWith(name, "MCS_")) name = "MCS_" + name;
  pb::ClientSessionState state;
  if (!pb::ClientSessionState_Parse(name, &state) ||
      state == pb::CLIENT_SESSION_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--state: unknown state \"", text,
        "\" (MCS_INIT, MCS_ACTIVE_READER, MCS_KEEP_ALIVE, MCS_HALF_CLOSED, MCS_CLOSED)"));
  }
  return state;
}

std::vector<pb::Session> MergeSessions(
    const std::vector<fleet::NodeResult<pb::ListSessionsResponse>>& results) {
  std::vector<pb::Session> out;
  for (const auto& r : results) {
    if (!r.status.ok()) continue;
    const uint32_t node_id = r.response.node_id() != 0 ? r.response.node_id() : r.node.id;
    for (const auto& s : r.response.sessions()) {
      out.push_back(s);
      if (out.back().node_id() == 0) out.back().set_node_id(node_id);
    }
  }
  SortSessions(out, SessionOrder::kId);
  return out;
}

absl::StatusOr<SessionOrder> ParseSessionOrder(const std::string& text) {
  if (text == "id") return SessionOrder::kId;
  if (text == "time") return SessionOrder::kTime;
  if (text == "idle") return SessionOrder::kIdle;
  return absl::InvalidArgumentError(
      absl::StrCat("--sort: expected time, idle or id, got \"", text, "\""));
}

void SortSessions(std::vector<pb::Session>& sessions, SessionOrder order) {
  // The key that comes first; negated so that longer sorts earlier.
  auto primary = [order](const pb::Session& s) -> absl::Duration {
    switch (order) {
      case SessionOrder::kTime: return -ToAbsl(s.statement_time());
      case SessionOrder::kIdle: return -ToAbsl(s.idle());
      case SessionOrder::kId: break;
    }
    return absl::ZeroDuration();
  };
  std::sort(sessions.begin(), sessions.end(), [&](const pb::Session& a, const pb::Session& b) {
    return std::make_tuple(primary(a), a.node_id(), a.cs_id()) <
           std::make_tuple(primary(b), b.node_id(), b.cs_id());
  });
}

Table SessionsTable(const std::vector<pb::Session>& sessions, bool wide) {
  std::vector<std::string> header = {"NODE", "CS_ID", "TENANT", "USER", "HOST",
                                     "DB",   "STATE", "IDLE",   "SS"};
  if (wide) {
    header.insert(header.end(), {"PROXY_SESSID", "CLUSTER", "TRANS", "SSL", "CONN_IDS",
                                 "STMT_TIME", "STATEMENT"});
  }
  Table table(std::move(header));
  for (const auto& s : sessions) {
    std::vector<std::string> row = {absl::StrCat(s.node_id()),
                                    absl::StrCat(s.cs_id()),
                                    s.tenant(),
                                    s.user(),
                                    s.client_host(),
                                    Db(s),
                                    pb::ClientSessionState_Name(s.state()),
                                    HumanDuration(ToAbsl(s.idle())),
                                    absl::StrCat(s.server_sessions_size())};
    if (wide) {
      row.insert(row.end(), {absl::StrCat(s.proxy_sessid()), s.cluster(),
                             absl::StrCat(s.trans_count()), YesNo(s.using_ssl()), ConnIds(s),
                             HumanDuration(ToAbsl(s.statement_time())),
                             Statement(s.current_statement())});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

std::string AttributesText(const pb::GetAttributesResponse& attrs) {
  const pb::Session& s = attrs.session();
  Table fields({"FIELD", "VALUE"});
  auto add = [&](const char* name, std::string value) { fields.AddRow({name, std::move(value)}); };
  add("node_id", absl::StrCat(s.node_id() != 0 ? s.node_id() : attrs.node_id()));
  add("cs_id", absl::StrCat(s.cs_id()));
  add("proxy_sessid", absl::StrCat(s.proxy_sessid()));
  add("cluster", s.cluster());
  add("tenant", s.tenant());
  add("user", s.user());
  add("host", s.client_host());
  add("db", Db(s));
  add("state", pb::ClientSessionState_Name(s.state()));
  add("trans_count", absl::StrCat(s.trans_count()));
  add("using_ssl", YesNo(s.using_ssl()));
  add("tid", absl::StrCat(s.tid()));
  add("pid", absl::StrCat(s.pid()));
  add("created_at", s.has_created_at() ? TimeUtil::ToString(s.created_at()) : "-");
  add("idle", HumanDuration(ToAbsl(s.idle())));
  add("current_command", s.current_command());
  add("current_statement", Statement(s.current_statement()));
  add("statement_time", HumanDuration(ToAbsl(s.statement_time())));
  add("bytes_from_client", absl::StrCat(s.bytes_from_client()));
  add("bytes_to_client", absl::StrCat(s.bytes_to_client()));

  Table servers(
      {"SS_ID", "BACKEND", "ADDRESS", "CONN_ID", "STATE", "TRANS", "IN_TX", "IN_USE", "SSL"});
  for (const auto& ss : s.server_sessions()) {
    servers.AddRow({absl::StrCat(ss.ss_id()), ss.backend(), ss.server_address(),
                    absl::StrCat(ss.connection_id()), pb::ServerSessionState_Name(ss.state()),
                    absl::StrCat(ss.transact_count()), YesNo(ss.in_transaction()),
                    YesNo(ss.in_use()), YesNo(ss.using_ssl())});
  }
  Table vars({"NAME", "VALUE", "INFO", "MODIFIED", "FLAGS"});
  for (const auto& v : attrs.variables()) {
    vars.AddRow({v.name(), v.value(), v.info(), v.modified_type(), v.sys_variable_flag()});
  }
  return absl::StrCat(fields.Render(), "\nSERVER SESSIONS\n", servers.Render(), "\nVARIABLES\n",
                      vars.Render());
}

}  // namespace obp::ctl
