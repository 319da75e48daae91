// OBP_RETURN_IF_ERROR / OBP_ASSIGN_OR_RETURN: keep call sites flat when a function
// returns absl::Status or absl::StatusOr (Abseil 20220623 has no such macros).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define OBP_STATUS_CONCAT_INNER(a, b) a##b
#define OBP_STATUS_CONCAT(a, b) OBP_STATUS_CONCAT_INNER(a, b)

#define OBP_RETURN_IF_ERROR(expr)                \
  do {                                           \
    ::absl::Status obp_status_ = (expr);         \
    if (!obp_status_.ok()) return obp_status_;   \
  } while (0)

#define OBP_ASSIGN_OR_RETURN(lhs, expr) \
  OBP_ASSIGN_OR_RETURN_IMPL(OBP_STATUS_CONCAT(obp_statusor_, __LINE__), lhs, expr)

#define OBP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
