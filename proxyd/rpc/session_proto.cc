#include "proxyd/rpc/session_proto.h"

#include "absl/strings/match.h"

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
  return true;
}

}  // namespace obp::rpc
