// The preamble of a COM_QUERY: whitespace and comments before the first
// keyword, where a client may put proxyd's routing hint (SPEC §2):
//
//   /*+ proxyd: backend=NAME */ SELECT ...
//
// Only `/*+` comments whose first word is `proxyd` are ours; other `/*+ ... */`
// optimizer hints are comments to us and are left alone. The hint is
// whitespace tolerant; `proxyd` and the key are case-insensitive, NAME is kept
// as written (bare [A-Za-z0-9_.$-] characters, or quoted with ' " `).
//
// Called on every query: the common case (text starting with a letter) returns
// at once without allocating. Thread rule: pure function, thread-safe.
#ifndef OBP_PROXYD_SQL_PREAMBLE_H_
#define OBP_PROXYD_SQL_PREAMBLE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::sql {

struct Preamble {
  // From /*+ proxyd: backend=NAME */ anywhere before the first keyword.
  std::optional<std::string> backend_hint;
  // Offset of the first keyword in the text: the first byte that is neither
  // whitespace nor a plain comment. An executable comment (`/*!`, `/*M!`) is
  // code, so it starts the body. Equals the text size for an empty body.
  size_t body_offset = 0;
};

// InvalidArgument for a malformed proxyd hint (`/*+ proxyd: backend= */`, an
// unknown key, a hint given twice, an unterminated hint comment); the message
// names the expected form.
absl::StatusOr<Preamble> ParsePreamble(absl::string_view sql);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_PREAMBLE_H_
