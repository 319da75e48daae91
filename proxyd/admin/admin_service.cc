#include "proxyd/admin/admin_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proxyd/admin/session_rows.h"
#include "proxyd/control/session_view.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/sql/like.h"

namespace obp::admin {
namespace {

// A status from the kill path or a lookup as the MySQL error a client expects.
asio::awaitable<absl::Status> SendStatusError(session::ClientPort& caller,
                                              const absl::Status& status) {
  uint16_t code = 1105;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      code = 1094;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 1095;
      break;
    case absl::StatusCode::kUnavailable:
      code = 2013;
      break;
    default:
      break;
  }
  co_return co_await caller.SendError(code, "HY000", status.message());
}

std::vector<mysql::Row> FilterLike(std::vector<mysql::Row> rows,
                                   const std::optional<std::string>& like) {
  if (!like) return rows;
  std::vector<mysql::Row> out;
  for (auto& row : rows) {
    if (sql::LikeMatch(*like, *row[0])) out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

control::Caller CallerOf(const session::CallerIdentity& who) {
  control::Caller c;
  c.user = who.user;
  c.tenant = who.tenant;
  c.admin = who.admin;
  c.cs_id = who.cs_id;
  c.host = who.host;
  c.actor = absl::StrCat(who.user, "@", who.tenant, " from ", who.host);
  return c;
}

asio::awaitable<absl::Status> AdminService::Execute(session::ClientPort& caller,
                                                    const sql::AdminStatement& stmt) {
  using Kind = sql::AdminStatement::Kind;
  switch (stmt.kind) {
    case Kind::kShowSessions:
      co_return co_await ShowSessions(caller);
    case Kind::kShowAttribute:
      co_return co_await ShowAttribute(caller, stmt);
    case Kind::kShowVariables:
      co_return co_await ShowVariables(caller, stmt);
    case Kind::kShowHistory:
      co_return co_await ShowHistory(caller, stmt);
    case Kind::kKillProxySession:
    case Kind::kKillConnection:
    case Kind::kKillQuery: {
      control::KillRequest req;
      req.id = stmt.id.value_or(0);
      if (stmt.id_expr) {
        // KILL CONNECTION_ID() and the like: the backend works the id out, as a
        // statement of the caller's own (so with its variables and privileges).
        auto v = co_await caller.EvaluateOnBackend(*stmt.id_expr);
        if (!v.ok()) {
          if (absl::IsAborted(v.status())) co_return absl::OkStatus();
          co_return co_await SendStatusError(caller, v.status());
        }
        if (v->error) {
          co_return co_await caller.SendError(v->error->code, v->error->sql_state,
                                              v->error->message);
        }
        if (!v->value || *v->value < 0) {
          // Built apart: gcc 12 mis-destroys a conditional's temporaries in a co_await.
          std::string id = "NULL";
          if (v->value) id = absl::StrCat(*v->value);
          const std::string message = absl::StrCat("Unknown thread id: ", id);
          co_return co_await caller.SendError(1094, "HY000", message);
        }
        req.id = static_cast<uint64_t>(*v->value);
      }
      req.ss_id = stmt.ss_id;
      req.mode = stmt.kind == Kind::kKillQuery ? control::Mode::kQuery : control::Mode::kConnection;
      req.reason = "SQL KILL";
      req.allow_forward = true;
      co_return co_await Kill(caller, std::move(req));
    }
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> AdminService::ProcessKill(session::ClientPort& caller,
                                                        absl::string_view payload) {
  auto id = mysql::DecodeProcessKill(payload);
  if (!id.ok()) {
    co_return co_await caller.SendError(1835, "HY000", "Malformed communication packet");
  }
  control::KillRequest req;
  req.id = *id;
  req.reason = "COM_PROCESS_KILL";
  req.allow_forward = true;
  co_return co_await Kill(caller, std::move(req));
}

asio::awaitable<absl::Status> AdminService::Kill(session::ClientPort& caller,
                                                 control::KillRequest request) {
  bool query = request.mode == control::Mode::kQuery;
  auto r = co_await kills_->Kill(CallerOf(caller.Identity()), request);
  if (!r.ok()) co_return co_await SendStatusError(caller, r.status());
  if (r->self && (query || !request.ss_id)) {
    (co_await caller.SendError(1317, "70100", "Query execution was interrupted")).IgnoreError();
    if (query) co_return absl::OkStatus();
    co_await caller.EndSelf(control::EndOf(CallerOf(caller.Identity()), request));
    co_return absl::CancelledError("session killed itself");
  }
  // A kill whose backend KILL was not confirmed still closed the session: OK,
  // with the info text (what the mysql CLI prints after OK) saying so.
  co_return co_await caller.SendOk(r->unconfirmed);
}

asio::awaitable<absl::Status> AdminService::ShowSessions(session::ClientPort& caller) {
  absl::Time now = absl::Now();
  std::vector<mysql::Row> rows;
  for (const auto& info : control::ListVisible(*registry_, CallerOf(caller.Identity()))) {
    rows.push_back(SessionListRow(control::ViewOf(info, ctx_->node_id, ctx_->pid, now)));
  }
  co_return co_await caller.SendRows(SessionListColumns(), rows);
}

absl::StatusOr<session::SessionInfo> AdminService::Target(const session::ClientPort& caller,
                                                          const sql::AdminStatement& stmt) const {
  if (!stmt.id) return caller.handle().Info();
  control::KillRequest req;
  req.id = *stmt.id;
  auto target = kills_->Resolve(req);
  if (!target.ok()) return target.status();
  session::SessionInfo info = (*target)->Info();
  if (!control::Visible(CallerOf(caller.Identity()), info)) {
    return session::UnknownThreadId(*stmt.id);
  }
  return info;
}

asio::awaitable<absl::Status> AdminService::ShowAttribute(session::ClientPort& caller,
                                                          const sql::AdminStatement& stmt) {
  auto info = Target(caller, stmt);
  if (!info.ok()) co_return co_await SendStatusError(caller, info.status());
  std::vector<mysql::Row> rows =
      AttributeRows(control::ViewOf(*info, ctx_->node_id, ctx_->pid, absl::Now()));
  const std::shared_ptr<const session::RuntimeConfig> current = ctx_->Current();
  if (const config::Tenant* t = current->config.FindTenant(info->tenant)) {
    for (auto& row : PoolRows(*ctx_, *t)) rows.push_back(std::move(row));
  }
  co_return co_await caller.SendRows(AttributeColumns(), FilterLike(std::move(rows), stmt.like));
}

asio::awaitable<absl::Status> AdminService::ShowVariables(session::ClientPort& caller,
                                                          const sql::AdminStatement& stmt) {
  auto info = Target(caller, stmt);
  if (!info.ok()) co_return co_await SendStatusError(caller, info.status());
  co_return co_await caller.SendRows(VariableColumns(),
                                     FilterLike(VariableRows(*info, stmt.all), stmt.like));
}

asio::awaitable<absl::Status> AdminService::ShowHistory(session::ClientPort& caller,
                                                        const sql::AdminStatement& stmt) {
  session::HistoryFilter filter;
  const session::CallerIdentity who = caller.Identity();
  // SHOW PROXYSESSION's rule: admins see every session, others their own user's.
  if (!who.admin) filter.own_user_tenant.emplace(who.user, who.tenant);
  if (stmt.like) filter.user_like = *stmt.like;
  std::vector<mysql::Row> rows;
  if (ctx_->history) {
    for (const auto& e : ctx_->history->Find(filter, SIZE_MAX).entries) {
      rows.push_back(HistoryRow(e));
    }
  }
  co_return co_await caller.SendRows(HistoryColumns(), rows);
}

}  // namespace obp::admin
