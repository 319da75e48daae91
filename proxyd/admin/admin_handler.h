// AdminHandler: answers the statements proxyd handles itself (SPEC §3): SHOW
// PROXYSESSION [ATTRIBUTE|VARIABLES], KILL PROXYSESSION, KILL [CONNECTION|QUERY]
// and COM_PROCESS_KILL, for one client session.
//
// Thread rule: a short-lived helper created on the session's own executor for one
// statement; it reads the caller's session directly and others through Info().
#pragma once

#include <asio/awaitable.hpp>

#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "proxyd/kill/kill_service.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/session/client_session.h"
#include "proxyd/sql/admin.h"

namespace obp::admin {

class AdminHandler {
 public:
  explicit AdminHandler(session::ClientSession* session) : s_(session) {}
  asio::awaitable<absl::Status> Execute(const sql::AdminStatement& stmt);
  asio::awaitable<absl::Status> ProcessKill(absl::string_view payload);

 private:
  kill::Caller Caller() const;
  asio::awaitable<absl::Status> Kill(kill::KillRequest request);
  asio::awaitable<absl::Status> ShowSessions();
  asio::awaitable<absl::Status> ShowAttribute(const sql::AdminStatement& stmt);
  asio::awaitable<absl::Status> ShowVariables(const sql::AdminStatement& stmt);
  // The session a SHOW ... [id] is about: the caller's own without an id.
  absl::StatusOr<session::SessionInfo> Target(const sql::AdminStatement& stmt) const;
  asio::awaitable<absl::Status> SendRows(const std::vector<mysql::ColumnDef>& cols,
                                         const std::vector<mysql::Row>& rows);
  asio::awaitable<absl::Status> SendStatusError(const absl::Status& status);

  session::ClientSession* s_;
};

// Row builders shared with the gRPC service's views of a session.
std::vector<mysql::ColumnDef> SessionListColumns();
mysql::Row SessionListRow(const session::SessionInfo& info, int pid);
std::vector<mysql::Row> AttributeRows(const session::SessionInfo& info, uint32_t node_id, int pid);
std::vector<mysql::Row> VariableRows(const session::SessionInfo& info, bool all);
// The node's idle pooled connections to each backend of `tenant` (info "pool [NAME]").
std::vector<mysql::Row> PoolRows(const session::ProxyContext& ctx, const config::Tenant& tenant);

}  // namespace obp::admin
