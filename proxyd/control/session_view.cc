#include "proxyd/control/session_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace obp::control {

SessionView ViewOf(const session::SessionInfo& i, uint32_t node_id, int pid, absl::Time now) {
  SessionView v;
  v.proxy_sessid = i.proxy_sessid;
  v.cs_id = i.cs_id;
  v.node_id = node_id;
  v.cluster = i.cluster;
  v.tenant = i.tenant;
  v.user = i.user;
  v.host_ip = i.host_ip;
  v.host_port = i.host_port;
  v.client_host = session::ClientHostText(i.host_ip, i.host_port);
  v.db = i.db;
  v.trans_count = i.total_trans;
  v.server_session_count = static_cast<uint32_t>(i.servers.size());
  v.state = session::ClientStateName(i.state);
  v.active = i.state == session::ClientState::kActiveReader;
  v.tid = i.tid;
  v.using_ssl = i.using_ssl;
  v.pid = pid;
  v.created = i.created;
  v.last_active = i.last_active;
  v.idle = v.active ? absl::ZeroDuration() : now - i.last_active;
  v.current_command = i.current_command;
  if (v.active) {
    v.current_statement = i.current_statement;
    v.statement_time = now - i.statement_start;
  }
  v.bytes_from_client = i.bytes_from_client;
  v.bytes_to_client = i.bytes_to_client;
  for (const auto& ss : i.servers) {
    ServerSessionView s;
    s.ss_id = ss.ss_id;
    s.backend = ss.backend;
    s.server_ip = ss.server_ip;
    s.server_port = ss.server_port;
    s.server_address = absl::StrCat(ss.server_ip, ":", ss.server_port);
    s.connection_id = ss.connection_id;
    s.state = session::ServerStateName(ss.state);
    s.transact_count = ss.transact_count;
    s.in_transaction = ss.in_transaction;
    s.in_use = ss.in_use;
    s.from_pool = ss.from_pool;
    s.using_ssl = ss.using_ssl;
    v.servers.push_back(std::move(s));
  }
  return v;
}

std::vector<VariableView> VariablesOf(const session::SessionInfo& i, bool all) {
  std::vector<VariableView> rows;
  auto add = [&](std::string name, std::string value, std::string info, bool changed,
                 std::string flag) {
    if (!changed && !all) return;
    rows.push_back(VariableView{std::move(name), std::move(value), std::move(info),
                                changed ? "changed" : "default", std::move(flag)});
  };
  const session::StateSnapshot& v = i.vars;
  add("autocommit", v.autocommit ? "1" : "0", "session", !v.autocommit, "sys_variable");
  add("character_set", v.names.empty() ? "(login charset)" : v.names, "session",
      !v.names.empty(), "sys_variable");
  add("database", v.db, "session", !v.db.empty(), "proxy_variable");
  add("role", v.role.empty() ? "(login default)" : v.role, "session", !v.role.empty(),
      "sys_variable");
  for (const auto& [name, value] : v.vars) {
    bool user_var = !name.empty() && name[0] == '@';
    add(name, value, user_var ? "user" : "session", true,
        user_var ? "user_variable" : "sys_variable");
  }
  // Given by a statement other than SET: proxyd has not seen the value.
  for (const auto& [name, number] : v.assigned) {
    add(name, "(assigned by a statement)", "user", true, "user_variable");
  }
  return rows;
}

std::vector<session::SessionInfo> ListVisible(
    const SessionRegistry& registry, const Caller& caller, uint32_t after,
    const std::function<bool(const session::SessionInfo&)>& keep, size_t limit) {
  std::vector<HandlePtr> handles = registry.All();
  std::erase_if(handles, [after](const HandlePtr& h) { return h->cs_id() <= after; });
  std::sort(handles.begin(), handles.end(),
            [](const HandlePtr& a, const HandlePtr& b) { return a->cs_id() < b->cs_id(); });
  std::vector<session::SessionInfo> infos;
  for (const HandlePtr& h : handles) {
    if (infos.size() >= limit) break;
    session::SessionInfo info = h->Info();
    // Sessions still logging in (MCS_INIT, no user yet) are visible to admins
    // only: Visible() matches no one else's user to an empty one.
    if (!Visible(caller, info)) continue;
    if (keep && !keep(info)) continue;
    infos.push_back(std::move(info));
  }
  return infos;
}

}  // namespace obp::control
