// Private to obp_mysql's .cc files: assign-or-return for StatusOr reads, since
// Abseil 20220623 ships no such macro. Include only from .cc files.
#pragma once

#define OBP_MYSQL_CONCAT_INNER(a, b) a##b
#define OBP_MYSQL_CONCAT(a, b) OBP_MYSQL_CONCAT_INNER(a, b)

// OBP_MYSQL_READ(lhs, expr): evaluates the StatusOr `expr`; returns its status from
// the enclosing function on error, else assigns the value to the existing `lhs`.
#define OBP_MYSQL_READ(lhs, expr) \
  OBP_MYSQL_READ_IMPL(OBP_MYSQL_CONCAT(obp_read_, __LINE__), lhs, expr)
#define OBP_MYSQL_READ_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                        \
  if (!tmp.ok()) return tmp.status();       \
  lhs = std::move(*tmp)

#define OBP_MYSQL_RETURN_IF_ERROR(expr)        \
  do {                                         \
    absl::Status obp_status_ = (expr);         \
    if (!obp_status_.ok()) return obp_status_; \
  } while (0)
