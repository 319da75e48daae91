// The value of a user variable, read back from the server session that evaluated it,
// written as a literal that gives another server session the same value and type.
//
// Why: proxyd keeps a user variable as the expression text the client wrote
// (session_state.h). Replayed on another backend, `SET @t = NOW(6)` or
// `SET @c = @c + 1` would be evaluated there, a value the client never saw. Before
// such a variable is given to another server session, ClientSession reads it from the
// one that holds it (UserVarQuery) and keeps the literal (UserVarLiteral) instead.
//
// MariaDB keeps a user variable as one of four types, each with an exact literal:
// integer (digits), decimal (digits with their scale), double (the shortest digits
// that read back the same, MariaDB's text form, with an exponent so it stays a
// double) and string (hex with its character set and collation). Pure functions;
// any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proxyd/mysql/resultset.h"

namespace obp::session {

// "SELECT @a, CHARSET(@a), COLLATION(@a), HEX(@a), @b, ..." for `names` as kept in the session
// state ("@a", "@odd name": quoted here, see UserVarRef). REQUIRES: names is not empty.
std::string UserVarQuery(const std::vector<std::string>& names);

// The literal for variable `i` of UserVarQuery's reply (four columns each).
// InvalidArgument for a reply that is not what MariaDB sends (a type no user
// variable has, a value that is not a number of its type, a malformed name).
absl::StatusOr<std::string> UserVarLiteral(const std::vector<mysql::ColumnDef>& columns,
                                           const mysql::Row& row, size_t i);

}  // namespace obp::session
