#include "proxyd/mysql/stmt_execute.h"

#include <utility>

#include "proxyd/mysql/constants.h"
#include "common/core/status_macros.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {
namespace {

// 0x17, stmt_id(4), flags(1), iterations(4).
constexpr size_t kExecuteFixed = 10;
// 0xFA, stmt_id(4), flags(2).
constexpr size_t kBulkFixed = 7;

// Offset of the new-params-bound byte. REQUIRES num_params > 0.
absl::StatusOr<size_t> BoundFlagOffset(absl::string_view payload, uint16_t num_params) {
  if (payload.empty() ||
      static_cast<uint8_t>(payload[0]) != static_cast<uint8_t>(Command::kStmtExecute)) {
    return absl::InvalidArgumentError("not a COM_STMT_EXECUTE packet");
  }
  size_t offset = kExecuteFixed + (num_params + 7) / 8;
  if (payload.size() <= offset) {
    return absl::OutOfRangeError("COM_STMT_EXECUTE truncated before new-params-bound flag");
  }
  return offset;
}

}  // namespace

absl::StatusOr<StmtExecuteHeader> ParseStmtExecuteHeader(absl::string_view payload) {
  Reader r(payload);
  uint8_t cmd = 0;
  OBP_ASSIGN_OR_RETURN(cmd, r.ReadU8());
  if (cmd != static_cast<uint8_t>(Command::kStmtExecute)) {
    return absl::InvalidArgumentError("not a COM_STMT_EXECUTE packet");
  }
  StmtExecuteHeader h;
  OBP_ASSIGN_OR_RETURN(h.stmt_id, r.ReadU32());
  OBP_ASSIGN_OR_RETURN(h.flags, r.ReadU8());
  OBP_ASSIGN_OR_RETURN(h.iterations, r.ReadU32());
  return h;
}

absl::StatusOr<uint32_t> ParseStmtId(absl::string_view payload) {
  Reader r(payload);
  OBP_RETURN_IF_ERROR(r.Skip(1));
  return r.ReadU32();
}

void RewriteStmtId(std::string* payload, uint32_t id) {
  if (payload->size() < 5) return;
  for (int i = 0; i < 4; ++i) (*payload)[1 + i] = static_cast<char>(id >> (8 * i));
}

absl::StatusOr<bool> NewParamsBound(absl::string_view payload, uint16_t num_params) {
  if (num_params == 0) {
    auto h = ParseStmtExecuteHeader(payload);
    if (!h.ok()) return h.status();
    return false;
  }
  size_t offset = 0;
  OBP_ASSIGN_OR_RETURN(offset, BoundFlagOffset(payload, num_params));
  return payload[offset] != 0;
}

absl::StatusOr<std::string> ExtractParamTypes(absl::string_view payload, uint16_t num_params) {
  bool bound = false;
  OBP_ASSIGN_OR_RETURN(bound, NewParamsBound(payload, num_params));
  if (!bound) return std::string();
  size_t offset = kExecuteFixed + (num_params + 7) / 8 + 1;
  size_t n = 2 * static_cast<size_t>(num_params);
  if (payload.size() < offset + n) {
    return absl::OutOfRangeError("COM_STMT_EXECUTE truncated in parameter types");
  }
  return std::string(payload.substr(offset, n));
}

absl::StatusOr<std::string> InjectParamTypes(absl::string_view payload, uint16_t num_params,
                                             absl::string_view types) {
  if (types.size() != 2 * static_cast<size_t>(num_params)) {
    return absl::InvalidArgumentError("parameter types must be 2 bytes per parameter");
  }
  bool bound = false;
  OBP_ASSIGN_OR_RETURN(bound, NewParamsBound(payload, num_params));
  if (bound || num_params == 0) return std::string(payload);
  size_t offset = kExecuteFixed + (num_params + 7) / 8;
  std::string out;
  out.reserve(payload.size() + types.size());
  out.append(payload.data(), offset);
  out.push_back('\x01');
  out.append(types.data(), types.size());
  out.append(payload.data() + offset + 1, payload.size() - offset - 1);
  return out;
}

absl::StatusOr<uint16_t> ParseBulkFlags(absl::string_view payload) {
  Reader r(payload);
  uint8_t cmd = 0;
  OBP_ASSIGN_OR_RETURN(cmd, r.ReadU8());
  if (cmd != static_cast<uint8_t>(Command::kStmtBulkExecute)) {
    return absl::InvalidArgumentError("not a COM_STMT_BULK_EXECUTE packet");
  }
  OBP_RETURN_IF_ERROR(r.Skip(4));
  return r.ReadU16();
}

absl::StatusOr<std::string> ExtractBulkParamTypes(absl::string_view payload, uint16_t num_params) {
  uint16_t flags = 0;
  OBP_ASSIGN_OR_RETURN(flags, ParseBulkFlags(payload));
  if (!(flags & kBulkSendTypes)) return std::string();
  const size_t n = 2 * static_cast<size_t>(num_params);
  if (payload.size() < kBulkFixed + n) {
    return absl::OutOfRangeError("COM_STMT_BULK_EXECUTE truncated in parameter types");
  }
  return std::string(payload.substr(kBulkFixed, n));
}

absl::StatusOr<std::string> InjectBulkParamTypes(absl::string_view payload, uint16_t num_params,
                                                 absl::string_view types) {
  if (types.size() != 2 * static_cast<size_t>(num_params)) {
    return absl::InvalidArgumentError("parameter types must be 2 bytes per parameter");
  }
  uint16_t flags = 0;
  OBP_ASSIGN_OR_RETURN(flags, ParseBulkFlags(payload));
  if ((flags & kBulkSendTypes) || num_params == 0) return std::string(payload);
  flags |= kBulkSendTypes;
  std::string out;
  out.reserve(payload.size() + types.size());
  out.append(payload.data(), kBulkFixed - 2);
  out.push_back(static_cast<char>(flags & 0xFF));
  out.push_back(static_cast<char>(flags >> 8));
  out.append(types.data(), types.size());
  out.append(payload.data() + kBulkFixed, payload.size() - kBulkFixed);
  return out;
}

}  // namespace obp::mysql
