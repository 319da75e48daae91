#include "proxyd/mysql/packets.h"

#include <utility>

#include "proxyd/mysql/constants.h"
#include "common/core/status_macros.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {

std::string EncodeOk(const OkPacket& ok, uint32_t caps, uint8_t header) {
  std::string out;
  Writer w(&out);
  w.U8(header);
  w.LenEnc(ok.affected_rows);
  w.LenEnc(ok.last_insert_id);
  // We never write a session-state block, so the flag must not claim one.
  w.U16(ok.status_flags & ~kServerSessionStateChanged);
  w.U16(ok.warnings);
  // MariaDB and MySQL servers write the info length-encoded, with or without
  // CLIENT_SESSION_TRACK, and clients read it that way; omitted when empty.
  if (!ok.info.empty()) w.LenEncString(ok.info);
  return out;
}

absl::StatusOr<OkPacket> DecodeOk(absl::string_view payload, uint32_t caps) {
  Reader r(payload);
  uint8_t header = 0;
  OBP_ASSIGN_OR_RETURN(header, r.ReadU8());
  if (header != kOkHeader && header != kEofHeader) {
    return absl::InvalidArgumentError("not an OK packet");
  }
  OkPacket ok;
  OBP_ASSIGN_OR_RETURN(ok.affected_rows, r.ReadLenEnc());
  OBP_ASSIGN_OR_RETURN(ok.last_insert_id, r.ReadLenEnc());
  OBP_ASSIGN_OR_RETURN(ok.status_flags, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(ok.warnings, r.ReadU16());
  // The info may be absent at the end of the packet, unless a state block follows.
  const bool state_follows =
      (caps & kClientSessionTrack) && (ok.status_flags & kServerSessionStateChanged);
  if (r.empty() && !state_follows) return ok;
  absl::string_view info;
  OBP_ASSIGN_OR_RETURN(info, r.ReadLenEncString());
  ok.info = std::string(info);
  if (state_follows) {
    absl::string_view state;  // validated for size, contents ignored
    OBP_ASSIGN_OR_RETURN(state, r.ReadLenEncString());
  }
  return ok;
}

std::string EncodeErr(const ErrPacket& err) {
  std::string out;
  Writer w(&out);
  w.U8(kErrHeader);
  w.U16(err.code);
  w.U8('#');
  std::string state = err.sql_state;
  state.resize(5, '0');
  w.Bytes(state);
  w.Bytes(err.message);
  return out;
}

absl::StatusOr<ErrPacket> DecodeErr(absl::string_view payload) {
  Reader r(payload);
  uint8_t header = 0;
  OBP_ASSIGN_OR_RETURN(header, r.ReadU8());
  if (header != kErrHeader) return absl::InvalidArgumentError("not an ERR packet");
  ErrPacket err;
  OBP_ASSIGN_OR_RETURN(err.code, r.ReadU16());
  if (err.code == 0xFFFF) {
    return absl::InvalidArgumentError("MariaDB progress report, not an ERR packet");
  }
  if (!r.empty() && *r.PeekU8() == '#') {
    OBP_RETURN_IF_ERROR(r.Skip(1));
    absl::string_view state;
    OBP_ASSIGN_OR_RETURN(state, r.ReadFixed(5));
    err.sql_state = std::string(state);
  }
  err.message = std::string(r.ReadRest());
  return err;
}

std::string EncodeEof(uint16_t warnings, uint16_t status_flags) {
  std::string out;
  Writer w(&out);
  w.U8(kEofHeader);
  w.U16(warnings);
  w.U16(status_flags);
  return out;
}

absl::StatusOr<EofPacket> DecodeEof(absl::string_view payload) {
  if (!IsEofPacket(payload)) return absl::InvalidArgumentError("not an EOF packet");
  Reader r(payload);
  OBP_RETURN_IF_ERROR(r.Skip(1));
  EofPacket eof;
  OBP_ASSIGN_OR_RETURN(eof.warnings, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(eof.status_flags, r.ReadU16());
  return eof;
}

absl::Status SetMoreResultsFlag(char* payload, size_t size, uint32_t caps) {
  const absl::string_view p(payload, size);
  size_t at = 0;  // offset of the status flags' low byte
  if (IsEofPacket(p) && !(caps & kClientDeprecateEof)) {
    at = 3;  // 0xFE, warnings (2)
  } else if (!p.empty() && (p[0] == '\x00' || p[0] == '\xFE')) {
    Reader r(p);
    OBP_RETURN_IF_ERROR(r.Skip(1));
    OBP_RETURN_IF_ERROR(r.ReadLenEnc().status());  // affected rows
    OBP_RETURN_IF_ERROR(r.ReadLenEnc().status());  // last insert id
    at = size - r.remaining();
  } else {
    return absl::InvalidArgumentError("not an OK or EOF packet");
  }
  if (at + 2 > size) return absl::InvalidArgumentError("OK/EOF packet cut short of its status");
  payload[at] = static_cast<char>(static_cast<uint8_t>(payload[at]) | kServerMoreResultsExists);
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> DecodeProcessKill(absl::string_view payload) {
  Reader r(payload);
  uint8_t cmd = 0;
  OBP_ASSIGN_OR_RETURN(cmd, r.ReadU8());
  if (cmd != static_cast<uint8_t>(Command::kProcessKill)) {
    return absl::InvalidArgumentError("not a COM_PROCESS_KILL packet");
  }
  return r.ReadU32();
}

bool IsErrPacket(absl::string_view payload) {
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == kErrHeader;
}
bool IsOkPacket(absl::string_view payload) {
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == kOkHeader;
}
bool IsEofPacket(absl::string_view payload) {
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == kEofHeader && payload.size() < 9;
}

}  // namespace obp::mysql
