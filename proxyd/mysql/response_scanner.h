// ResponseScanner: watches a backend's response byte stream, as it is forwarded in
// chunks of any size, and tells where the response to the current command ends and
// how it ended (OK/EOF status, ERR fields, prepared-statement ids).
//
// It never buffers a packet: it looks at packet headers and keeps a small carry of
// at most the first bytes of a payload it must classify (<= 1024 for an ERR, <= 23
// for an OK, 1 for a row), so memory stays constant for rows of any size. Payloads
// of exactly 0xFFFFFF bytes are continued by the next packet, which is never
// classified. The sequence id is recorded, not checked.
//
// Thread rule: one scanner per server connection, used by one thread at a time (no
// internal locking). Reset() reuses it for the next command without allocating.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/packets.h"

namespace obp::mysql {

enum class ResponseKind : uint8_t {
  // COM_QUERY, COM_STMT_EXECUTE, COM_INIT_DB, COM_PING, COM_STMT_RESET,
  // COM_RESET_CONNECTION, COM_SET_OPTION, ...: OK | ERR | result set(s) | LOCAL
  // INFILE request; more results follow while kServerMoreResultsExists is set.
  // kServerStatusCursorExists means nothing here: MariaDB sets it on a result
  // set a stored procedure sends while one of its own cursors is open, and the
  // rows still follow.
  kGeneric,
  // COM_STMT_EXECUTE with a cursor type asked for: as kGeneric, except that an
  // EOF after the column definitions carrying kServerStatusCursorExists (the
  // server opened the cursor) ends the response; the rows come by COM_STMT_FETCH.
  kStmtExecuteCursor,
  // COM_STMT_PREPARE: ERR, or PREPARE_OK + param defs (+EOF) + column defs (+EOF).
  kStmtPrepare,
  // COM_STMT_FETCH: binary rows then EOF (or 0xFE OK with DEPRECATE_EOF), or ERR.
  kStmtFetch,
  // COM_FIELD_LIST: column definitions then EOF, or ERR.
  kFieldList,
  // COM_STATISTICS: one string packet (or ERR).
  kStatistics,
};

class ResponseScanner {
 public:
  // `caps`: the capabilities negotiated on that server connection (only
  // kClientDeprecateEof and kClientSessionTrack matter).
  ResponseScanner(uint32_t caps, ResponseKind kind);

  // Consumes bytes of the response; returns how many of them belong to it: all of
  // `data` unless the response (or the LOCAL INFILE request) ended inside the chunk.
  // After done() further calls return 0. A malformed stream returns an error status,
  // and so does every later call until Reset().
  absl::StatusOr<size_t> Feed(absl::string_view data);
  bool done() const { return done_; }

  // The server asked for a LOCAL INFILE (0xFB packet, consumed). The caller forwards
  // the client's file packets to the server, then calls ResumeAfterLocalInfile() and
  // keeps feeding server bytes (OK or ERR, possibly more results). Feeding while
  // waiting is a FailedPrecondition error.
  bool wants_local_infile() const { return wants_local_infile_; }
  void ResumeAfterLocalInfile();

  // Valid once done():
  bool is_error() const { return is_error_; }
  // The final ERR; its message is cut at ~1 KiB.
  const ErrPacket& error() const { return error_; }
  // Status of the last OK/EOF seen (more-results already followed); 0 if none.
  uint16_t final_status_flags() const { return status_flags_; }
  // False when the response carried no OK/EOF at all (ERR, statistics, PREPARE_OK
  // under DEPRECATE_EOF or without defs): final_status_flags() is then meaningless.
  bool has_status() const { return has_status_; }
  uint16_t warnings() const { return warnings_; }
  // From a final OK (0x00 or the 0xFE row terminator), 0 otherwise.
  uint64_t affected_rows() const { return affected_rows_; }
  uint64_t last_insert_id() const { return last_insert_id_; }
  // kStmtPrepare, from COM_STMT_PREPARE_OK:
  uint32_t stmt_id() const { return stmt_id_; }
  uint16_t num_columns() const { return num_columns_; }
  uint16_t num_params() const { return num_params_; }
  // Sequence id of the last packet header seen.
  uint8_t last_seq() const { return last_seq_; }

  // Prepares for the next command's response; keeps the carry's capacity.
  void Reset(ResponseKind kind);
  void Reset(ResponseKind kind, uint32_t caps);

 private:
  enum class State : uint8_t {
    kResultStart,  // OK | ERR | column count | LOCAL INFILE
    kColumnDefs,
    kColumnsEof,
    kRows,
    kPrepareOk,
    kParamDefs,
    kParamsEof,
    kPrepColumnDefs,
    kPrepColumnsEof,
    kFieldList,
    kStatistics,
  };
  enum class Phase : uint8_t { kHeader, kClassify, kSkip };

  void StartPacket(uint32_t length, uint8_t seq);
  bool IsTerminator(uint8_t first) const;
  size_t Need(uint8_t first) const;
  absl::Status Classify(absl::string_view prefix);
  absl::Status OnErr(absl::string_view prefix);
  absl::Status OnOk(absl::string_view prefix);
  absl::Status OnEof(absl::string_view prefix);
  absl::Status OnTerminator(absl::string_view prefix);
  absl::Status OnColumnCount(absl::string_view prefix);
  absl::Status OnPrepareOk(absl::string_view prefix);
  void AfterParams();
  void AfterResultEnd();
  absl::Status Fail(absl::Status s);

  uint32_t caps_;
  ResponseKind kind_;
  bool deprecate_eof_;

  // Stream position.
  Phase phase_ = Phase::kHeader;
  State state_ = State::kResultStart;
  uint8_t hdr_[4] = {};
  uint8_t hdr_have_ = 0;
  bool continued_ = false;  // current physical packet is 0xFFFFFF: next one continues
  uint32_t pkt_len_ = 0;    // length of the first physical packet of the payload
  uint32_t pkt_left_ = 0;   // bytes of the current physical packet not yet consumed
  size_t need_ = 0;         // prefix size wanted for classification
  std::string carry_;       // prefix bytes collected across chunks
  uint64_t defs_left_ = 0;
  bool end_after_packet_ = false;
  bool pause_after_packet_ = false;

  // Outcome.
  absl::Status failed_;
  bool done_ = false;
  bool wants_local_infile_ = false;
  bool is_error_ = false;
  bool has_status_ = false;
  ErrPacket error_;
  uint16_t status_flags_ = 0;
  uint16_t warnings_ = 0;
  uint64_t affected_rows_ = 0;
  uint64_t last_insert_id_ = 0;
  uint32_t stmt_id_ = 0;
  uint16_t num_columns_ = 0;
  uint16_t num_params_ = 0;
  uint8_t last_seq_ = 0;
};

}  // namespace obp::mysql
