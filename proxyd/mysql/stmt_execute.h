// Prepared-statement command payloads (starting at the command byte): parse the
// COM_STMT_EXECUTE header, rewrite statement ids, and move the parameter-type block
// so a statement re-prepared on another server connection can be executed there.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::mysql {

struct StmtExecuteHeader {
  uint32_t stmt_id;
  uint8_t flags;  // cursor type bits (kCursorType*)
  uint32_t iterations;
};

// REQUIRES payload[0] == 0x17 (checked: error otherwise).
absl::StatusOr<StmtExecuteHeader> ParseStmtExecuteHeader(absl::string_view payload);

// Statement id of any COM_STMT_* command except PREPARE (bytes 1..4).
absl::StatusOr<uint32_t> ParseStmtId(absl::string_view payload);
// Overwrites bytes 1..4 with `id`. Works for EXECUTE, SEND_LONG_DATA, CLOSE, RESET,
// FETCH. REQUIRES payload->size() >= 5 (does nothing otherwise).
void RewriteStmtId(std::string* payload, uint32_t id);

// The new-params-bound flag of a COM_STMT_EXECUTE; false when num_params == 0
// (no null bitmap and no flag are sent then).
absl::StatusOr<bool> NewParamsBound(absl::string_view payload, uint16_t num_params);
// The 2*num_params type bytes when the flag is 1, "" when it is 0.
absl::StatusOr<std::string> ExtractParamTypes(absl::string_view payload, uint16_t num_params);
// Returns the payload with new-params-bound = 1 and `types` inserted after it.
// Unchanged copy when the flag already is 1 or num_params == 0.
// REQUIRES types.size() == 2 * num_params (InvalidArgument otherwise).
absl::StatusOr<std::string> InjectParamTypes(absl::string_view payload, uint16_t num_params,
                                             absl::string_view types);

// MariaDB's COM_STMT_BULK_EXECUTE (0xFA): stmt_id(4), flags(2), then with
// kBulkSendTypes 2 type bytes per parameter, then the rows.
inline constexpr uint16_t kBulkSendTypes = 128;
// The flags. REQUIRES payload[0] == 0xFA (checked: error otherwise).
absl::StatusOr<uint16_t> ParseBulkFlags(absl::string_view payload);
// The 2*num_params type bytes when kBulkSendTypes is set, "" otherwise.
absl::StatusOr<std::string> ExtractBulkParamTypes(absl::string_view payload, uint16_t num_params);
// Returns the payload with kBulkSendTypes set and `types` inserted after the flags;
// an unchanged copy when the types are already there or num_params == 0.
// REQUIRES types.size() == 2 * num_params (InvalidArgument otherwise).
absl::StatusOr<std::string> InjectBulkParamTypes(absl::string_view payload, uint16_t num_params,
                                                 absl::string_view types);

}  // namespace obp::mysql
