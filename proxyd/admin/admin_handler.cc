#include "absl/strings/string_view.h"
#include "proxyd/admin/admin_handler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/sql/like.h"

namespace obp::admin {
namespace {
mysql::ColumnDef Col(std::string name) {
  mysql::ColumnDef c;
  c.name = std::move(name);
  return c;
}
}  // namespace

kill::Caller AdminHandler::Caller() const {
  kill::Caller c;
  c.user = s_->user_->name;
  c.tenant = s_->tenant_->name;
  c.admin = s_->user_->admin;
  c.cs_id = s_->cs_id_;
  c.actor = absl::StrCat(c.user, "@", c.tenant, " from ", s_->host_ip_, ":", s_->host_port_);
  return c;
}

asio::awaitable<absl::Status> AdminHandler::Execute(const sql::AdminStatement& stmt) {
  using Kind = sql::AdminStatement::Kind;
  switch (stmt.kind) {
    case Kind::kShowSessions:
      co_return co_await ShowSessions();
    case Kind::kShowAttribute:
      co_return co_await ShowAttribute(stmt);
    case Kind::kShowVariables:
      co_return co_await ShowVariables(stmt);
    case Kind::kKillProxySession:
    case Kind::kKillConnection:
    case Kind::kKillQuery: {
      kill::KillRequest req;
      req.id = stmt.id.value_or(0);
      req.ss_id = stmt.ss_id;
      req.mode = stmt.kind == Kind::kKillQuery ? kill::Mode::kQuery : kill::Mode::kConnection;
      req.reason = "SQL KILL";
      req.allow_forward = true;
      co_return co_await Kill(std::move(req));
    }
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> AdminHandler::ProcessKill(absl::string_view payload) {
  s_->SetCommand("Kill", "");
  if (payload.size() < 5) co_return co_await s_->SendError(1, 1835, "HY000", "Malformed communication packet");
  kill::KillRequest req;
  req.id = static_cast<uint8_t>(payload[1]) | static_cast<uint8_t>(payload[2]) << 8 |
           static_cast<uint8_t>(payload[3]) << 16 |
           static_cast<uint64_t>(static_cast<uint8_t>(payload[4])) << 24;
  req.reason = "COM_PROCESS_KILL";
  req.allow_forward = true;
  co_return co_await Kill(std::move(req));
}

asio::awaitable<absl::Status> AdminHandler::Kill(kill::KillRequest request) {
  bool query = request.mode == kill::Mode::kQuery;
  auto r = co_await s_->ctx_->kills->Kill(Caller(), request);
  if (!r.ok()) co_return co_await SendStatusError(r.status());
  if (r->self && (query || !request.ss_id)) {
    co_await s_->SendError(1, 1317, "70100", "Query execution was interrupted");
    if (query) co_return absl::OkStatus();
    co_await s_->Terminate("killed itself");
    co_return absl::CancelledError("session killed itself");
  }
  co_return co_await s_->SendOk(1);
}

asio::awaitable<absl::Status> AdminHandler::SendStatusError(const absl::Status& status) {
  uint16_t code = 1105;
  switch (status.code()) {
    case absl::StatusCode::kNotFound: code = 1094; break;
    case absl::StatusCode::kPermissionDenied: code = 1095; break;
    case absl::StatusCode::kUnavailable: code = 2013; break;
    default: break;
  }
  co_return co_await s_->SendError(1, code, "HY000", status.message());
}

asio::awaitable<absl::Status> AdminHandler::SendRows(const std::vector<mysql::ColumnDef>& cols,
                                                     const std::vector<mysql::Row>& rows) {
  std::string out;
  uint8_t seq = 1;
  mysql::AppendTextResultSet(&out, &seq, cols, rows, s_->caps_, s_->StatusFlags());
  co_return co_await s_->client_.Write(out);
}

asio::awaitable<absl::Status> AdminHandler::ShowSessions() {
  kill::Caller caller = Caller();
  std::vector<session::SessionInfo> infos;
  for (auto& other : s_->ctx_->registry->All()) {
    session::SessionInfo info = other->cs_id() == s_->cs_id_ ? s_->Info() : other->Info();
    if (info.user.empty()) continue;  // still logging in
    if (kill::KillService::Visible(caller, info)) infos.push_back(std::move(info));
  }
  std::sort(infos.begin(), infos.end(),
            [](const auto& a, const auto& b) { return a.cs_id < b.cs_id; });
  std::vector<mysql::Row> rows;
  for (const auto& info : infos) rows.push_back(SessionListRow(info, s_->ctx_->pid));
  std::vector<mysql::ColumnDef> cols = SessionListColumns();
  co_return co_await SendRows(cols, rows);
}

absl::StatusOr<session::SessionInfo> AdminHandler::Target(const sql::AdminStatement& stmt) const {
  if (!stmt.id) return s_->Info();
  kill::KillRequest req;
  req.id = *stmt.id;
  kill::Caller caller = Caller();
  auto target = s_->ctx_->kills->Resolve(caller, req);
  if (!target.ok()) return target.status();
  session::SessionInfo info = (*target)->Info();
  if (!kill::KillService::Visible(caller, info)) {
    return absl::NotFoundError(absl::StrCat("Unknown thread id: ", *stmt.id));
  }
  return info;
}

asio::awaitable<absl::Status> AdminHandler::ShowAttribute(const sql::AdminStatement& stmt) {
  auto info = Target(stmt);
  if (!info.ok()) co_return co_await SendStatusError(info.status());
  std::vector<mysql::Row> all = AttributeRows(*info, s_->ctx_->config->node_id, s_->ctx_->pid);
  if (const config::Tenant* t = s_->ctx_->config->FindTenant(info->tenant)) {
    for (auto& row : PoolRows(*s_->ctx_, *t)) all.push_back(std::move(row));
  }
  std::vector<mysql::Row> rows;
  for (auto& row : all) {
    if (stmt.like && !sql::LikeMatch(*stmt.like, *row[0])) continue;
    rows.push_back(std::move(row));
  }
  std::vector<mysql::ColumnDef> cols = {Col("attribute_name"), Col("value"), Col("info")};
  co_return co_await SendRows(cols, rows);
}

asio::awaitable<absl::Status> AdminHandler::ShowVariables(const sql::AdminStatement& stmt) {
  auto info = Target(stmt);
  if (!info.ok()) co_return co_await SendStatusError(info.status());
  std::vector<mysql::Row> rows;
  for (auto& row : VariableRows(*info, stmt.all)) {
    if (stmt.like && !sql::LikeMatch(*stmt.like, *row[0])) continue;
    rows.push_back(std::move(row));
  }
  std::vector<mysql::ColumnDef> cols = {Col("variable_name"), Col("value"), Col("info"),
                                        Col("modified_type"), Col("sys_variable_flag")};
  co_return co_await SendRows(cols, rows);
}

}  // namespace obp::admin
