// How a session looks as rows of SHOW PROXYSESSION [ATTRIBUTE|VARIABLES] (SPEC §3):
// the SQL format of control::SessionView.
//
// Thread rule: pure functions.
#pragma once

#include <vector>

#include "proxyd/config/config.h"
#include "proxyd/control/session_view.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/session/proxy_context.h"

namespace obp::admin {

std::vector<mysql::ColumnDef> SessionListColumns();
mysql::Row SessionListRow(const control::SessionView& v);

std::vector<mysql::ColumnDef> AttributeColumns();
std::vector<mysql::Row> AttributeRows(const control::SessionView& v);
// The node's idle pooled connections to each backend of `tenant` (info "pool [NAME]").
std::vector<mysql::Row> PoolRows(const session::ProxyContext& ctx, const config::Tenant& tenant);

// SHOW PROXYSESSION HISTORY (SPEC §9): one row per ended session.
std::vector<mysql::ColumnDef> HistoryColumns();
mysql::Row HistoryRow(const session::EndedSession& e);

std::vector<mysql::ColumnDef> VariableColumns();
std::vector<mysql::Row> VariableRows(const session::SessionInfo& info, bool all);

}  // namespace obp::admin
