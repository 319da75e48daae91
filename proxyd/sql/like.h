// SQL LIKE matching for SHOW PROXYSESSION ... LIKE 'pattern'.
//
// `%` matches any run of characters, `_` exactly one character (a whole UTF-8
// sequence), a backslash makes the next character literal (a trailing lone
// backslash is itself literal, as in MySQL). ASCII letters compare without
// case, as MySQL's default collations compare names. Runs in O(pattern x
// text) at worst: no exponential backtracking on patterns like `%a%a%a%b`.
//
// Thread rule: pure function, thread-safe.
#ifndef OBP_PROXYD_SQL_LIKE_H_
#define OBP_PROXYD_SQL_LIKE_H_

#include "absl/strings/string_view.h"

namespace obp::sql {

bool LikeMatch(absl::string_view pattern, absl::string_view text);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_LIKE_H_
