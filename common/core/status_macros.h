// OBP_RETURN_IF_ERROR / OBP_ASSIGN_OR_RETURN: keep call sites flat when a function
// returns absl::Status or absl::StatusOr<T> (Abseil 20220623 has no such macros).
//
//   OBP_RETURN_IF_ERROR(conn.Write(packet));          // expr: Status or StatusOr<T>
//   OBP_ASSIGN_OR_RETURN(auto greeting, ParseGreeting(bytes));
//   OBP_ASSIGN_OR_RETURN(config_.listen, Resolve(text));
//
// Both work in functions returning absl::Status or any absl::StatusOr<U>. The lhs of
// OBP_ASSIGN_OR_RETURN must not contain a top-level comma (wrap such types in an alias).
// Not for coroutines (they need co_return).
//
// Thread rule: macros only; no state.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace obp::status_internal {

inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace obp::status_internal

#define OBP_STATUS_CONCAT_INNER(a, b) a##b
#define OBP_STATUS_CONCAT(a, b) OBP_STATUS_CONCAT_INNER(a, b)

#define OBP_RETURN_IF_ERROR(expr)                              \
  do {                                                         \
    const auto& obp_status_or_ = (expr);                       \
    if (!obp_status_or_.ok()) {                                \
      return ::obp::status_internal::AsStatus(obp_status_or_); \
    }                                                          \
  } while (0)

// __COUNTER__ keeps the temporaries apart when two uses share a line (e.g. in a macro).
#define OBP_ASSIGN_OR_RETURN(lhs, expr) \
  OBP_ASSIGN_OR_RETURN_IMPL(OBP_STATUS_CONCAT(obp_statusor_, __COUNTER__), lhs, expr)

#define OBP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = *std::move(tmp)
