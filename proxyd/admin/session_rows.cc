#include "proxyd/admin/session_rows.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

Row SessionListRow(const control::SessionView& v) {
  return Row{Num(v.proxy_sessid), Num(v.cs_id),      v.cluster,
             v.tenant,            v.user,            v.client_host,
             v.db,                Num(v.trans_count), Num(v.server_session_count),
             std::string(v.state), Num(v.tid),        Num(v.pid),
             v.using_ssl ? "1" : "0"};
}

std::vector<mysql::ColumnDef> HistoryColumns() {
  return {Col("proxy_sessid", true), Col("Id", true),
          Col("Tenant"),             Col("User"),
          Col("Host"),               Col("db"),
          Col("created"),            Col("ended"),
          Col("statements", true),   Col("trans_count", true),
          Col("bytes_in", true),     Col("bytes_out", true),
          Col("reason"),             Col("actor"),
          Col("via"),                Col("detail"),
          Col("last_statement")};
}

Row HistoryRow(const session::EndedSession& e) {
  auto text = [](absl::string_view s) { return std::string(s); };
  return Row{Num(e.proxy_sessid),
             Num(e.cs_id),
             text(e.tenant()),
             text(e.user()),
             text(e.host()),
             e.has_db() ? std::optional<std::string>(text(e.db())) : std::nullopt,
             Time(e.created),
             Time(e.ended),
             Num(e.statements),
             Num(e.transactions),
             Num(e.bytes_from_client),
             Num(e.bytes_to_client),
             session::EndReasonName(e.reason),
             text(e.actor()),
             session::KillViaName(e.via),
             text(e.detail()),
             text(e.last_statement())};
}

std::vector<mysql::ColumnDef> AttributeColumns() {
  return {Col("attribute_name"), Col("value"), Col("info")};
}

std::vector<Row> AttributeRows(const control::SessionView& v) {
  const std::string cs = "cs common";
  const std::string st = "cs stat";
  std::vector<Row> rows = {
      Attr("proxy_sessid", Num(v.proxy_sessid), cs),
      Attr("cs_id", Num(v.cs_id), cs),
      Attr("node_id", Num(v.node_id), cs),
      Attr("cluster", v.cluster, cs),
      Attr("tenant", v.tenant, cs),
      Attr("user", v.user, cs),
      Attr("host_ip", v.host_ip, cs),
      Attr("host_port", Num(v.host_port), cs),
      Attr("db", v.db, cs),
      Attr("total_trans_cnt", Num(v.trans_count), cs),
      Attr("svr_session_cnt", Num(v.server_session_count), cs),
      Attr("active", v.active ? "true" : "false", cs),
      Attr("read_state", v.state, cs),
      Attr("tid", Num(v.tid), cs),
      Attr("pid", Num(v.pid), cs),
      Attr("using_ssl", v.using_ssl ? "1" : "0", cs),
      Attr("created_time", Time(v.created), st),
      Attr("last_active_time", Time(v.last_active), st),
      Attr("current_command", v.current_command, st),
      Attr("current_statement", v.current_statement, st),
      Attr("statement_time_ms", Num(absl::ToInt64Milliseconds(v.statement_time)), st),
      Attr("bytes_from_client", Num(v.bytes_from_client), st),
      Attr("bytes_to_client", Num(v.bytes_to_client), st),
  };
  int other = 0;
  for (const auto& ss : v.servers) {
    std::string info = ss.in_use ? "curr used ss" : absl::StrCat("ss [", other++, "]");
    rows.push_back(Attr("ss_id", Num(ss.ss_id), info));
    rows.push_back(Attr("backend", ss.backend, info));
    rows.push_back(Attr("server_ip", ss.server_ip, info));
    rows.push_back(Attr("server_port", Num(ss.server_port), info));
    rows.push_back(Attr("server_sessid", Num(ss.connection_id), info));
    rows.push_back(Attr("state", ss.state, info));
    rows.push_back(Attr("transact_count", Num(ss.transact_count), info));
    rows.push_back(Attr("in_transaction", ss.in_transaction ? "1" : "0", info));
    rows.push_back(Attr("from_pool", ss.from_pool ? "1" : "0", info));
    rows.push_back(Attr("using_ssl", ss.using_ssl ? "1" : "0", info));
  }
  return rows;
}

std::vector<Row> PoolRows(const session::ProxyContext& ctx, const config::Tenant& tenant) {
  std::vector<Row> rows;
  for (const config::Backend& b : tenant.backends) {
    const session::PoolStats stats = ctx.PoolStatsFor(tenant.name, b);
    const std::string info = absl::StrCat("pool [", b.name, "]");
    rows.push_back(Attr("pool_idle", Num(stats.idle), info));
    rows.push_back(Attr("pool_returned_without_reset", Num(stats.returned_without_reset), info));
  }
  return rows;
}

std::vector<mysql::ColumnDef> VariableColumns() {
  return {Col("variable_name"), Col("value"), Col("info"), Col("modified_type"),
          Col("sys_variable_flag")};
}

std::vector<Row> VariableRows(const session::SessionInfo& info, bool all) {
  std::vector<Row> rows;
  for (auto& v : control::VariablesOf(info, all)) {
    rows.push_back(Row{std::move(v.name), std::move(v.value), std::move(v.info),
                       std::move(v.modified_type), std::move(v.flag)});
  }
  return rows;
}

}  // namespace obp::admin
