#include "proxyd/rpc/session_proto.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proxyd/sql/like.h"

namespace obp::rpc {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// The proto's enums carry the same names as SHOW PROXYSESSION (MCS_..., MSS_...):
// the one name table in the session layer decides both.
pb::ClientSessionState ClientStateOf(const char* name) {
  pb::ClientSessionState s = pb::CLIENT_SESSION_STATE_UNSPECIFIED;
  pb::ClientSessionState_Parse(name, &s);
  return s;
}
pb::ServerSessionState ServerStateOf(const char* name) {
  pb::ServerSessionState s = pb::SERVER_SESSION_STATE_UNSPECIFIED;
  pb::ServerSessionState_Parse(name, &s);
  return s;
}

// SessionFilter.command: a SHOW PROXYSESSION command name ("Query"), or the
// protocol's name for it ("COM_QUERY"), case-insensitive.
bool CommandMatches(absl::string_view want, absl::string_view shown) {
  if (absl::EqualsIgnoreCase(want, shown)) return true;
  static constexpr std::pair<absl::string_view, absl::string_view> kProtocolNames[] = {
      {"COM_SLEEP", "Sleep"},          {"COM_QUERY", "Query"},
      {"COM_STMT_EXECUTE", "Execute"}, {"COM_STMT_FETCH", "Fetch"},
      {"COM_STMT_PREPARE", "Prepare"}, {"COM_INIT_DB", "Init DB"},
      {"COM_CHANGE_USER", "Change user"}, {"COM_RESET_CONNECTION", "Reset connection"},
      {"COM_PROCESS_KILL", "Kill"},
  };
  for (const auto& [protocol, name] : kProtocolNames) {
    if (absl::EqualsIgnoreCase(want, protocol)) return shown == name;
  }
  return false;
}

// SPEC §9 statement selectors: each matches only a session executing right now.
bool StatementMatches(const pb::SessionFilter& f, const control::SessionView& v) {
  const bool any = f.has_running_over() || !f.statement().empty() || !f.command().empty();
  if (!any) return true;
  if (!v.active) return false;
  if (f.has_running_over() && v.statement_time < FromProto(f.running_over())) return false;
  if (!f.statement().empty() &&
      !sql::LikeMatch(f.statement(), v.current_statement.value_or(std::string()))) {
    return false;
  }
  return f.command().empty() || CommandMatches(f.command(), v.current_command);
}

}  // namespace

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(static_cast<int32_t>(absl::ToUnixNanos(t) % 1000000000));
  return ts;
}

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d) % 1000000000));
  return out;
}

void FillSession(const control::SessionView& v, pb::Session* out) {
  out->set_proxy_sessid(v.proxy_sessid);
  out->set_cs_id(v.cs_id);
  out->set_node_id(v.node_id);
  out->set_cluster(v.cluster);
  out->set_tenant(v.tenant);
  out->set_user(v.user);
  out->set_client_host(v.client_host);
  if (v.db) out->set_db(*v.db);
  out->set_trans_count(v.trans_count);
  out->set_server_session_count(v.server_session_count);
  out->set_state(ClientStateOf(v.state));
  out->set_tid(v.tid);
  out->set_pid(v.pid);
  out->set_using_ssl(v.using_ssl);
  *out->mutable_created_at() = ToProto(v.created);
  *out->mutable_last_active_at() = ToProto(v.last_active);
  *out->mutable_idle() = ToProto(v.idle);
  out->set_current_command(v.current_command);
  if (v.current_statement) {
    out->set_current_statement(*v.current_statement);
    *out->mutable_statement_time() = ToProto(v.statement_time);
  }
  out->set_bytes_from_client(v.bytes_from_client);
  out->set_bytes_to_client(v.bytes_to_client);
  for (const auto& ss : v.servers) {
    pb::ServerSession* p = out->add_server_sessions();
    p->set_ss_id(ss.ss_id);
    p->set_backend(ss.backend);
    p->set_server_address(ss.server_address);
    p->set_connection_id(ss.connection_id);
    p->set_state(ServerStateOf(ss.state));
    p->set_transact_count(ss.transact_count);
    p->set_in_transaction(ss.in_transaction);
    p->set_in_use(ss.in_use);
    p->set_using_ssl(ss.using_ssl);
  }
}

void FillVariable(const control::VariableView& v, pb::Variable* out) {
  out->set_name(v.name);
  out->set_value(v.value);
  out->set_info(v.info);
  out->set_modified_type(v.modified_type);
  out->set_sys_variable_flag(v.flag);
}

bool Matches(const pb::SessionFilter& f, const session::SessionInfo& i, absl::Time now) {
  if (!f.user().empty() && f.user() != i.user) return false;
  if (!f.tenant().empty() && f.tenant() != i.tenant) return false;
  if (!f.db().empty() && (!i.db || *i.db != f.db())) return false;
  control::SessionView v = control::ViewOf(i, 0, 0, now);
  if (!f.client_host().empty()) {
    const std::string& want = f.client_host();
    if (want.back() == '*') {
      if (!absl::StartsWith(v.client_host, absl::string_view(want).substr(0, want.size() - 1))) {
        return false;
      }
    } else if (v.client_host != want && v.host_ip != want) {
      return false;
    }
  }
  if (f.state() != pb::CLIENT_SESSION_STATE_UNSPECIFIED && f.state() != ClientStateOf(v.state)) {
    return false;
  }
  if (f.has_idle_over()) {
    if (v.active || v.idle < FromProto(f.idle_over())) return false;
  }
  return StatementMatches(f, v);
}

void FillEnded(const session::EndedSession& e, uint32_t node_id, absl::string_view cluster,
               pb::EndedSession* out) {
  out->set_proxy_sessid(e.proxy_sessid);
  out->set_cs_id(e.cs_id);
  out->set_node_id(node_id);
  out->set_cluster(std::string(cluster));
  out->set_tenant(std::string(e.tenant()));
  out->set_user(std::string(e.user()));
  out->set_client_host(std::string(e.host()));
  if (e.has_db()) out->set_db(std::string(e.db()));
  *out->mutable_created_at() = ToProto(e.created);
  *out->mutable_ended_at() = ToProto(e.ended);
  out->set_statements(e.statements);
  out->set_trans_count(e.transactions);
  out->set_bytes_from_client(e.bytes_from_client);
  out->set_bytes_to_client(e.bytes_to_client);
  out->set_last_statement(std::string(e.last_statement()));
  out->set_reason(session::EndReasonName(e.reason));
  out->set_actor(std::string(e.actor()));
  out->set_via(session::KillViaName(e.via));
  out->set_detail(std::string(e.detail()));
}

absl::StatusOr<session::HistoryFilter> HistoryFilterOf(const pb::EndedSessionFilter& f) {
  session::HistoryFilter out;
  out.user = f.user();
  out.tenant = f.tenant();
  out.host = f.client_host();
  out.cs_id = f.cs_id();
  if (!f.reason().empty()) {
    out.reason = session::ParseEndReason(f.reason());
    if (!out.reason) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.reason: '", f.reason(), "' is not one of client_quit, client_gone, killed, "
          "backend_lost, idle_timeout, login_timeout, login_failed, drain, error"));
    }
  }
  if (f.has_since()) {
    out.since = absl::FromUnixSeconds(f.since().seconds()) + absl::Nanoseconds(f.since().nanos());
  }
  return out;
}

}  // namespace obp::rpc
