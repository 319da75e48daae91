// SessionState: the client-visible session state that proxyd keeps identical on
// every server session of one client session (SPEC §2): current database, the
// character set chosen by SET NAMES / SET CHARACTER SET, autocommit, and variables
// set with SET [SESSION] (and user variables, @x, which ODP users expect to follow
// the session too), the role chosen with SET ROLE. Values are kept as the expression text the
// client wrote and replayed verbatim, so proxyd never has to evaluate or re-quote them; the one
// exceptions, a user variable set from an expression or assigned by a statement other
// than SET, are read back as a literal before they go to another server session
// (user_var_value.h).
//
// Thread rule: owned by the client session's thread; not shared.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace obp::session {

struct StateSnapshot {
  std::string db;
  std::string names;  // "utf8mb4 COLLATE utf8mb4_bin" or "CHARACTER SET latin1"; empty = login charset
  bool autocommit = true;
  std::map<std::string, std::string> vars;  // session vars by name; user vars as "@name"
  std::string role;  // as written after SET ROLE ("app_reader", "NONE"); empty = the login's
  // User variables a statement other than SET gave a value (sql::HeldChange), by
  // "@name": proxyd does not know the value, only which assignment was the last (a
  // number from the client session's count). A server session that has the same
  // number holds the value; PlanReplay ignores these, the value is read back instead.
  std::map<std::string, uint64_t> assigned;

  bool operator==(const StateSnapshot&) const = default;
};

// The statements that bring a server session from `have` to `want`: an optional
// database to select (COM_INIT_DB) and an optional SET statement with every other
// difference. Empty strings mean nothing to do.
struct ReplayPlan {
  std::string init_db;
  std::string set_statement;
  std::string role_statement;  // SET ROLE takes no other item in its statement
  bool empty() const { return init_db.empty() && set_statement.empty() && role_statement.empty(); }
};
ReplayPlan PlanReplay(const StateSnapshot& have, const StateSnapshot& want);

// A user variable's key ("@name") as SQL: `@name`, or ``@`my var` `` when the name
// is not a plain identifier.
std::string UserVarRef(const std::string& key);

}  // namespace obp::session
