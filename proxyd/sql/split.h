// Splitting a multi-statement COM_QUERY, so that a statement proxyd answers itself
// runs in its place among the others (SPEC §3 "Kills against a hung backend, and in
// multi-statements": `KILL 5; SELECT 1`).
//
// Statements end at a `;` outside quotes and comments. A compound statement, whose
// body holds `;` of its own, is never cut: from one that starts a stored program or
// a block (CREATE/ALTER PROCEDURE, FUNCTION, TRIGGER, EVENT, PACKAGE; BEGIN NOT
// ATOMIC; IF, CASE, LOOP, WHILE, REPEAT, FOR; a label) to the end of the text is one
// statement. So is the rest of a text with an unterminated quote or comment: the
// server will reject it, proxyd need not understand it.
//
// Thread rule: pure functions, thread-safe.
#ifndef OBP_PROXYD_SQL_SPLIT_H_
#define OBP_PROXYD_SQL_SPLIT_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/sql/admin.h"

namespace obp::sql {

// The statements of `sql`, in order, as views into it: each without its `;`, with
// the whitespace and comments before it. Text after the last `;` that holds only
// whitespace and comments is not a statement; an empty statement between two `;`
// is (the server answers it).
std::vector<absl::string_view> SplitStatements(absl::string_view sql);

// One step of a multi-statement query that holds a proxy statement.
struct QueryPart {
  // Forwarded to the backend as one COM_QUERY: one or more consecutive statements
  // of the query, exactly as the client wrote them (the `;` between included).
  // For a proxy statement: its own text.
  absl::string_view text;
  // A statement proxyd answers (SPEC §3); unset for forwarded text.
  std::optional<AdminStatement> admin;
  // A malformed proxy statement (`KILL QUERY ID 5`): answered with 1064 and this
  // message, which ends the query as the server ends it at an error.
  absl::Status error;
  bool is_proxy() const { return admin.has_value() || !error.ok(); }
};

// nullopt unless `body` (a query's text after its preamble) holds more than one
// statement and at least one is proxyd's: the common case, forwarded whole.
std::optional<std::vector<QueryPart>> PlanMultiStatement(absl::string_view body);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_SPLIT_H_
