// Generic response packets: OK, ERR and EOF (protocol 4.1), encode and decode; and
// the COM_PROCESS_KILL payload (a command proxyd answers itself, SPEC §3).
// Payloads only (no packet headers). Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::mysql {

struct OkPacket {
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  uint16_t status_flags = 0;
  uint16_t warnings = 0;
  std::string info;
};

// `header` is 0x00, or 0xFE for the OK that ends rows under kClientDeprecateEof.
// The info is written length-encoded (as servers do, whatever the caps), omitted
// when empty. No session-state block is ever written, so kServerSessionStateChanged
// is cleared.
std::string EncodeOk(const OkPacket& ok, uint32_t caps, uint8_t header = 0x00);
// Accepts 0x00 and 0xFE headers. The info is length-encoded (MariaDB sends it so
// even without kClientSessionTrack); with kClientSessionTrack and
// kServerSessionStateChanged a session-state block follows and is skipped. The info
// may be absent at the end of the packet only when no state block follows.
absl::StatusOr<OkPacket> DecodeOk(absl::string_view payload, uint32_t caps);

struct ErrPacket {
  uint16_t code = 0;
  std::string sql_state = "HY000";  // 5 characters
  std::string message;
};

// Always protocol 4.1 form: 0xFF, code, '#', 5-char state (padded/cut), message.
std::string EncodeErr(const ErrPacket& err);
// Accepts the form without '#'+state (sql_state is then "HY000"). MariaDB's
// progress report (code 0xFFFF) is not an error packet: returns an error status.
absl::StatusOr<ErrPacket> DecodeErr(absl::string_view payload);

struct EofPacket {
  uint16_t warnings = 0;
  uint16_t status_flags = 0;
};

std::string EncodeEof(uint16_t warnings, uint16_t status_flags);
// REQUIRES a 0xFE packet of 5..8 bytes.
absl::StatusOr<EofPacket> DecodeEof(absl::string_view payload);

// Sets kServerMoreResultsExists in the status flags of the OK or EOF `payload` that
// ends a result, in place: proxyd joins the results of a multi-statement query it
// answers in parts. With kClientDeprecateEof in `caps`, 0xFE starts an OK packet.
// InvalidArgument for any other packet, or one cut short.
absl::Status SetMoreResultsFlag(char* payload, size_t size, uint32_t caps);

// COM_PROCESS_KILL, from the command byte: 0x0C + the 4-byte id to kill. Bytes after
// the id are ignored, as MariaDB and MySQL do. InvalidArgument for another command,
// OutOfRange when the id is cut short.
absl::StatusOr<uint32_t> DecodeProcessKill(absl::string_view payload);

bool IsErrPacket(absl::string_view payload);  // 0xFF
bool IsOkPacket(absl::string_view payload);   // 0x00 (also a binary row: context decides)
bool IsEofPacket(absl::string_view payload);  // 0xFE and shorter than 9 bytes

}  // namespace obp::mysql
