// Parser for the statements proxyd answers itself (SPEC §3):
//
//   SHOW PROXYSESSION
//   SHOW PROXYSESSION ATTRIBUTE [id] [LIKE 'pattern']
//   SHOW PROXYSESSION VARIABLES [ALL] [id] [LIKE 'pattern']
//   SHOW PROXYSESSION HISTORY [LIKE 'user-pattern']
//   KILL PROXYSESSION id [ss_id]
//   KILL [HARD|SOFT] [CONNECTION|QUERY] id
//
// Keywords are case-insensitive; whitespace and comments may stand between
// any tokens; one trailing `;` is allowed, then only whitespace and comments.
// Ids are unsigned decimal literals up to 2^64-1 (0 is accepted here and
// rejected when resolved). Every KILL is ours: the forms we don't serve
// (MariaDB's KILL ... QUERY ID n, KILL ... USER name, KILL <expression>) are
// errors, since a backend's ids mean nothing to clients of a proxy.
//
// Thread rule: pure function, thread-safe.
#ifndef OBP_PROXYD_SQL_ADMIN_H_
#define OBP_PROXYD_SQL_ADMIN_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::sql {

struct AdminStatement {
  enum class Kind {
    kShowSessions,
    kShowAttribute,
    kShowVariables,
    kShowHistory,
    kKillProxySession,
    kKillConnection,
    kKillQuery,
  };
  Kind kind = Kind::kShowSessions;
  std::optional<uint64_t> id;       // cs_id or connection_id
  // KILL [CONNECTION|QUERY] <expression> (`KILL CONNECTION_ID()`): the id is the
  // expression's integer value, which the session's backend works out, as MariaDB
  // would. The text as written; `id` is then unset.
  std::optional<std::string> id_expr;
  std::optional<uint64_t> ss_id;    // KILL PROXYSESSION id ss_id
  bool all = false;                 // SHOW PROXYSESSION VARIABLES ALL
  std::optional<std::string> like;  // LIKE 'pattern' (unescaped string)
};

// nullopt: not ours, forward unchanged. InvalidArgument: looks like ours but
// malformed; the message names the expected form (the caller sends it as
// 1064 42000), e.g. "expected: KILL PROXYSESSION <id> [<ss_id>]".
// `sql` may be the whole COM_QUERY text or the body after the preamble.
absl::StatusOr<std::optional<AdminStatement>> ParseAdminStatement(absl::string_view sql);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_ADMIN_H_
