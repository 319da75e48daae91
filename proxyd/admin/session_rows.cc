// How a session looks as rows of SHOW PROXYSESSION [ATTRIBUTE|VARIABLES] (SPEC §3).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proxyd/admin/admin_handler.h"
#include "proxyd/mysql/constants.h"

namespace obp::admin {
namespace {
using mysql::Row;

mysql::ColumnDef Col(std::string name, bool numeric = false) {
  mysql::ColumnDef c;
  c.name = std::move(name);
  if (numeric) {
    c.type = mysql::kTypeLongLong;
    c.length = 20;
    c.charset = 63;
  }
  return c;
}

std::string Num(uint64_t v) { return absl::StrCat(v); }
std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::LocalTimeZone());
}
Row Attr(std::string name, std::optional<std::string> value, std::string info) {
  return Row{std::move(name), std::move(value), std::move(info)};
}
}  // namespace

std::vector<mysql::ColumnDef> SessionListColumns() {
  return {Col("proxy_sessid", true), Col("Id", true),          Col("Cluster"),
          Col("Tenant"),             Col("User"),              Col("Host"),
          Col("db"),                 Col("trans_count", true), Col("svr_session_count", true),
          Col("state"),              Col("tid", true),         Col("pid", true),
          Col("using_ssl", true)};
}

Row SessionListRow(const session::SessionInfo& i, int pid) {
  return Row{Num(i.proxy_sessid),
             Num(i.cs_id),
             i.cluster,
             i.tenant,
             i.user,
             absl::StrCat(i.host_ip, ":", i.host_port),
             i.db,
             Num(i.total_trans),
             Num(i.servers.size()),
             std::string(session::ClientStateName(i.state)),
             Num(i.tid),
             Num(pid),
             "0"};
}

std::vector<Row> AttributeRows(const session::SessionInfo& i, uint32_t node_id, int pid) {
  const std::string cs = "cs common";
  const std::string st = "cs stat";
  bool active = i.state == session::ClientState::kActiveReader;
  std::vector<Row> rows = {
      Attr("proxy_sessid", Num(i.proxy_sessid), cs),
      Attr("cs_id", Num(i.cs_id), cs),
      Attr("node_id", Num(node_id), cs),
      Attr("cluster", i.cluster, cs),
      Attr("tenant", i.tenant, cs),
      Attr("user", i.user, cs),
      Attr("host_ip", i.host_ip, cs),
      Attr("host_port", Num(i.host_port), cs),
      Attr("db", i.db, cs),
      Attr("total_trans_cnt", Num(i.total_trans), cs),
      Attr("svr_session_cnt", Num(i.servers.size()), cs),
      Attr("active", active ? "true" : "false", cs),
      Attr("read_state", session::ClientStateName(i.state), cs),
      Attr("tid", Num(i.tid), cs),
      Attr("pid", Num(pid), cs),
      Attr("using_ssl", "0", cs),
      Attr("created_time", Time(i.created), st),
      Attr("last_active_time", Time(i.last_active), st),
      Attr("current_command", i.current_command, st),
      Attr("current_statement", active ? std::optional<std::string>(i.current_statement) : std::nullopt, st),
      Attr("statement_time_ms",
           Num(active ? absl::ToInt64Milliseconds(absl::Now() - i.statement_start) : 0), st),
      Attr("bytes_from_client", Num(i.bytes_from_client), st),
      Attr("bytes_to_client", Num(i.bytes_to_client), st),
  };
  int other = 0;
  for (const auto& ss : i.servers) {
    std::string info = ss.in_use ? "curr used ss" : absl::StrCat("ss [", other++, "]");
    rows.push_back(Attr("ss_id", Num(ss.ss_id), info));
    rows.push_back(Attr("backend", ss.backend, info));
    rows.push_back(Attr("server_ip", ss.server_ip, info));
    rows.push_back(Attr("server_port", Num(ss.server_port), info));
    rows.push_back(Attr("server_sessid", Num(ss.connection_id), info));
    rows.push_back(Attr("state", session::ServerStateName(ss.state), info));
    rows.push_back(Attr("transact_count", Num(ss.transact_count), info));
    rows.push_back(Attr("in_transaction", ss.in_transaction ? "1" : "0", info));
    rows.push_back(Attr("from_pool", ss.from_pool ? "1" : "0", info));
  }
  return rows;
}

std::vector<Row> PoolRows(const session::ProxyContext& ctx, const config::Tenant& tenant) {
  std::vector<Row> rows;
  for (const config::Backend& b : tenant.backends) {
    const session::PoolStats stats = ctx.PoolStatsFor(&b);
    const std::string info = absl::StrCat("pool [", b.name, "]");
    rows.push_back(Attr("pool_idle", Num(stats.idle), info));
    rows.push_back(Attr("pool_returned_without_reset", Num(stats.returned_without_reset), info));
  }
  return rows;
}

std::vector<Row> VariableRows(const session::SessionInfo& i, bool all) {
  std::vector<Row> rows;
  auto add = [&](std::string name, std::string value, std::string info, bool changed,
                 std::string flag) {
    if (!changed && !all) return;
    rows.push_back(Row{std::move(name), std::move(value), std::move(info),
                       changed ? "changed" : "default", std::move(flag)});
  };
  const session::StateSnapshot& v = i.vars;
  add("autocommit", v.autocommit ? "1" : "0", "session", !v.autocommit, "sys_variable");
  add("character_set", v.names.empty() ? "(login charset)" : v.names, "session",
      !v.names.empty(), "sys_variable");
  add("database", v.db, "session", !v.db.empty(), "proxy_variable");
  for (const auto& [name, value] : v.vars) {
    bool user_var = !name.empty() && name[0] == '@';
    add(name, value, user_var ? "user" : "session", true,
        user_var ? "user_variable" : "sys_variable");
  }
  return rows;
}

}  // namespace obp::admin
