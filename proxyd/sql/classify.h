// Statement classification for the data plane, and parsing of the statements
// that change session state proxyd tracks and replays (SPEC §2): USE and SET.
//
// Classify() runs on every query, so it reads at most the first few keywords
// without allocating. ParseUse()/ParseSet() run only for kUse/kSet.
// `body` is the text from the first keyword (Preamble::body_offset); leading
// whitespace and comments are skipped anyway, and an executable comment
// (`/*!40101 SET NAMES utf8 */`) is read as the statement inside it.
// Thread rule: pure functions, thread-safe.
#ifndef OBP_PROXYD_SQL_CLASSIFY_H_
#define OBP_PROXYD_SQL_CLASSIFY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::sql {

enum class StmtKind {
  kOther,
  kUse,
  // SET ... other than MariaDB's per-statement `SET STATEMENT ... FOR ...`
  // (that one is kOther: it changes no session state).
  kSet,
  // BEGIN, BEGIN WORK, START TRANSACTION [characteristics]. Not MariaDB's
  // compound `BEGIN NOT ATOMIC ... END`, which is kOther.
  kBegin,
  // COMMIT [WORK] [AND [NO] CHAIN] [[NO] RELEASE]. With AND CHAIN a new
  // transaction starts at once: the server status flags tell.
  kCommit,
  // ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]; not ROLLBACK ... TO
  // [SAVEPOINT] x, which is kOther.
  kRollback,
  // SHOW PROXYSESSION..., KILL ...: call ParseAdminStatement().
  kProxyAdmin,
  // DROP DATABASE|SCHEMA ...: dropping the session's own database leaves it with
  // none (MariaDB's rule), which proxyd must track: call ParseDropDatabase().
  kDropDatabase,
};

StmtKind Classify(absl::string_view body);

// True only for a statement that provably leaves nothing behind in the server
// session: a SELECT or SHOW with no `@` (user or system variables), no `(`
// (so no function call: GET_LOCK, stored functions, LAST_INSERT_ID(x)...),
// no `;` (one statement), no executable comment, and none of the words INTO,
// SQL_CALC_FOUND_ROWS, NEXT, PREVIOUS (sequences). A server session that ran
// only such statements, with no error and no warning, can go back to the pool
// without COM_RESET_CONNECTION. Conservative by design: a `(` inside a string
// literal also says no. `sql` is the whole COM_QUERY text.
bool LeavesNoSessionState(absl::string_view sql);

// USE db, where db may be `quoted`; one trailing `;` allowed. Returns the
// database name unquoted. InvalidArgument if it isn't that form.
absl::StatusOr<std::string> ParseUse(absl::string_view body);

// DROP {DATABASE|SCHEMA} [IF EXISTS] db, db as for ParseUse. Returns the name.
absl::StatusOr<std::string> ParseDropDatabase(absl::string_view body);

struct SetItem {
  enum class Scope {
    kSession,      // x=, SESSION x=, LOCAL x=, @@x=, @@session.x=, @@local.x=
    kGlobal,       // GLOBAL x=, @@global.x=
    kUserVar,      // @x=, @'x'=
    kNames,        // SET NAMES cs [COLLATE c] | SET NAMES DEFAULT
    kCharset,      // SET CHARACTER SET cs | SET CHARSET cs (| DEFAULT)
    kTransaction,  // SET [GLOBAL|SESSION|LOCAL] TRANSACTION ...
    kPassword,     // SET PASSWORD [FOR user] = ...
    kOther,        // SET ROLE ..., SET DEFAULT ROLE ..., SET STATEMENT ... FOR ...
  };
  Scope scope = Scope::kOther;
  // kSession/kGlobal/kUserVar: the variable name, lower-case, without @, @@,
  // `@@session.`, SESSION, LOCAL, GLOBAL; backquotes removed; a structured
  // name keeps its dot (`@@global.cache1.key_buffer_size` -> cache1.key_buffer_size).
  // kTransaction: "next" (plain SET TRANSACTION: only the next transaction),
  // "session" or "global". kPassword: "password". kOther: the lower-case
  // leading keywords ("role", "default role", "statement"). kNames/kCharset: empty.
  std::string name;
  // The expression text exactly as written, trimmed of whitespace and of
  // comments around it. kNames/kCharset: the character set name unquoted
  // (or DEFAULT as written). kTransaction: the characteristics
  // ("ISOLATION LEVEL READ COMMITTED, READ ONLY"). kPassword/kOther: the text
  // after the leading keywords.
  std::string value;
  // kNames: the COLLATE name unquoted, empty when absent.
  std::string collation;
};

// Splits `SET a=1, @@session.b = 'x,y', SESSION c = f(1,2), NAMES utf8mb4
// COLLATE utf8mb4_bin` into items: commas inside quotes and parentheses don't
// split; `:=` is accepted for `=`. TRANSACTION, PASSWORD, ROLE, DEFAULT ROLE
// and STATEMENT forms are a single item covering the whole statement.
// InvalidArgument for text proxyd can't take apart (the caller may still
// forward it and let the backend judge).
absl::StatusOr<std::vector<SetItem>> ParseSet(absl::string_view body);

// The session variables a `SET SESSION TRANSACTION` sets, from its characteristics
// (SetItem::value, "ISOLATION LEVEL READ COMMITTED, READ ONLY"): tx_isolation =
// 'READ-COMMITTED', tx_read_only = 1. InvalidArgument for anything else.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> TransactionVariables(
    absl::string_view characteristics);

// True when a SET value (SetItem::value) is built of literals only (numbers,
// strings with their introducers and COLLATE, NULL, TRUE, FALSE, operators), so
// evaluating it again on another connection gives the same value. False for
// anything that reads a variable, calls a function (with or without parentheses:
// CURRENT_TIMESTAMP), holds a subquery, or does not lex.
bool IsConstantExpression(absl::string_view expr);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_CLASSIFY_H_
