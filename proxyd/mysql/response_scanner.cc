#include "proxyd/mysql/response_scanner.h"

#include <algorithm>
#include <utility>

#include "proxyd/mysql/constants.h"
#include "common/core/status_macros.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {
namespace {

constexpr size_t kErrKeep = 1024;              // ERR payload bytes kept
constexpr size_t kOkKeep = 1 + 9 + 9 + 2 + 2;  // header .. warnings
constexpr size_t kEofKeep = 5;
constexpr size_t kPrepareOkKeep = 12;
constexpr size_t kColumnCountKeep = 9;
constexpr uint16_t kProgressReportCode = 0xFFFF;

// OK fields up to the warnings; the info and session-state tail is not needed.
absl::StatusOr<OkPacket> ParseOkPrefix(absl::string_view prefix) {
  Reader r(prefix);
  OBP_RETURN_IF_ERROR(r.Skip(1));
  OkPacket ok;
  OBP_ASSIGN_OR_RETURN(ok.affected_rows, r.ReadLenEnc());
  OBP_ASSIGN_OR_RETURN(ok.last_insert_id, r.ReadLenEnc());
  OBP_ASSIGN_OR_RETURN(ok.status_flags, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(ok.warnings, r.ReadU16());
  return ok;
}

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(std::string("malformed MySQL response: ") + std::string(what));
}

}  // namespace

ResponseScanner::ResponseScanner(uint32_t caps, ResponseKind kind) {
  carry_.reserve(kErrKeep);
  Reset(kind, caps);
}

void ResponseScanner::Reset(ResponseKind kind, uint32_t caps) {
  caps_ = caps;
  deprecate_eof_ = caps & kClientDeprecateEof;
  Reset(kind);
}

void ResponseScanner::Reset(ResponseKind kind) {
  kind_ = kind;
  switch (kind) {
    case ResponseKind::kGeneric:
    case ResponseKind::kStmtExecuteCursor:
      state_ = State::kResultStart;
      break;
    case ResponseKind::kStmtPrepare:
      state_ = State::kPrepareOk;
      break;
    case ResponseKind::kStmtFetch:
      state_ = State::kRows;
      break;
    case ResponseKind::kFieldList:
      state_ = State::kFieldList;
      break;
    case ResponseKind::kStatistics:
      state_ = State::kStatistics;
      break;
  }
  phase_ = Phase::kHeader;
  hdr_have_ = 0;
  continued_ = false;
  pkt_len_ = pkt_left_ = 0;
  need_ = 0;
  carry_.clear();
  defs_left_ = 0;
  end_after_packet_ = pause_after_packet_ = false;
  failed_ = absl::OkStatus();
  done_ = wants_local_infile_ = is_error_ = has_status_ = false;
  error_ = ErrPacket();
  status_flags_ = warnings_ = 0;
  affected_rows_ = last_insert_id_ = 0;
  stmt_id_ = 0;
  num_columns_ = num_params_ = 0;
  last_seq_ = 0;
}

void ResponseScanner::ResumeAfterLocalInfile() {
  wants_local_infile_ = false;
  state_ = State::kResultStart;
}

absl::Status ResponseScanner::Fail(absl::Status s) {
  failed_ = s;
  return s;
}

absl::StatusOr<size_t> ResponseScanner::Feed(absl::string_view data) {
  if (!failed_.ok()) return failed_;
  if (done_) return 0;
  if (wants_local_infile_) {
    return absl::FailedPreconditionError("server bytes fed while waiting for LOCAL INFILE data");
  }
  const size_t n = data.size();
  size_t pos = 0;
  while (true) {
    switch (phase_) {
      case Phase::kHeader: {
        if (pos == n) return n;
        if (hdr_have_ == 0 && n - pos >= kHeaderSize) {
          PacketHeader h = DecodeHeader(reinterpret_cast<const uint8_t*>(data.data() + pos));
          pos += kHeaderSize;
          StartPacket(h.length, h.seq);
          break;
        }
        size_t take = std::min<size_t>(kHeaderSize - hdr_have_, n - pos);
        std::copy_n(data.data() + pos, take, reinterpret_cast<char*>(hdr_) + hdr_have_);
        hdr_have_ += take;
        pos += take;
        if (hdr_have_ < kHeaderSize) return n;
        hdr_have_ = 0;
        PacketHeader h = DecodeHeader(hdr_);
        StartPacket(h.length, h.seq);
        break;
      }
      case Phase::kClassify: {
        if (pkt_len_ == 0) {
          if (auto s = Classify(absl::string_view()); !s.ok()) return Fail(s);
          phase_ = Phase::kSkip;
          break;
        }
        if (pos == n) return n;
        if (carry_.empty()) {
          need_ = Need(static_cast<uint8_t>(data[pos]));
          if (n - pos >= need_) {
            // Fast path: classify straight from the chunk, no copy.
            absl::Status s = Classify(data.substr(pos, need_));
            pos += need_;
            pkt_left_ -= need_;
            if (!s.ok()) return Fail(s);
            phase_ = Phase::kSkip;
            break;
          }
        }
        size_t take = std::min(need_ - carry_.size(), n - pos);
        carry_.append(data.data() + pos, take);
        pos += take;
        pkt_left_ -= take;
        if (carry_.size() < need_) return n;
        absl::Status s = Classify(carry_);
        carry_.clear();
        if (!s.ok()) return Fail(s);
        phase_ = Phase::kSkip;
        break;
      }
      case Phase::kSkip: {
        size_t take = std::min<size_t>(pkt_left_, n - pos);
        pos += take;
        pkt_left_ -= take;
        if (pkt_left_ > 0) return n;
        phase_ = Phase::kHeader;
        if (continued_) break;  // the payload goes on in the next packet
        if (end_after_packet_) {
          done_ = true;
          return pos;
        }
        if (pause_after_packet_) {
          pause_after_packet_ = false;
          wants_local_infile_ = true;
          return pos;
        }
        break;
      }
    }
  }
}

void ResponseScanner::StartPacket(uint32_t length, uint8_t seq) {
  last_seq_ = seq;
  pkt_left_ = length;
  const bool continuation = continued_;
  continued_ = length == kMaxPacketPayload;
  if (continuation) {
    phase_ = Phase::kSkip;  // continuation packets are never classified
    return;
  }
  pkt_len_ = length;
  phase_ = Phase::kClassify;
}

bool ResponseScanner::IsTerminator(uint8_t first) const {
  if (first != kEofHeader) return false;
  // Under DEPRECATE_EOF the terminator is an OK with header 0xFE; a row starting
  // with 0xFE (an 8-byte length prefix) is at least 0xFFFFFF bytes long.
  return deprecate_eof_ ? pkt_len_ < kMaxPacketPayload : pkt_len_ < 9;
}

size_t ResponseScanner::Need(uint8_t first) const {
  size_t want = 1;
  if (first == kErrHeader) {
    want = kErrKeep;
  } else {
    switch (state_) {
      case State::kResultStart:
        want = first == kOkHeader ? kOkKeep : first == kLocalInfileHeader ? 1 : kColumnCountKeep;
        break;
      case State::kColumnsEof:
      case State::kParamsEof:
      case State::kPrepColumnsEof:
        want = kEofKeep;
        break;
      case State::kRows:
      case State::kFieldList:
        if (IsTerminator(first)) want = deprecate_eof_ ? kOkKeep : kEofKeep;
        break;
      case State::kPrepareOk:
        want = kPrepareOkKeep;
        break;
      default:
        break;
    }
  }
  return std::min<size_t>(want, pkt_len_);
}

absl::Status ResponseScanner::Classify(absl::string_view p) {
  end_after_packet_ = false;
  if (p.empty()) {
    if (state_ == State::kStatistics) {
      end_after_packet_ = true;
      return absl::OkStatus();
    }
    return Malformed("empty packet");
  }
  const uint8_t first = static_cast<uint8_t>(p[0]);
  if (first == kErrHeader) return OnErr(p);
  switch (state_) {
    case State::kResultStart:
      if (first == kOkHeader) return OnOk(p);
      if (first == kLocalInfileHeader) {
        pause_after_packet_ = true;
        return absl::OkStatus();
      }
      return OnColumnCount(p);
    case State::kColumnDefs:
      if (--defs_left_ == 0) state_ = deprecate_eof_ ? State::kRows : State::kColumnsEof;
      return absl::OkStatus();
    case State::kColumnsEof: {
      OBP_RETURN_IF_ERROR(OnEof(p));
      // A cursor was opened: the rows come later through COM_STMT_FETCH.
      if (kind_ == ResponseKind::kStmtExecuteCursor &&
          (status_flags_ & kServerStatusCursorExists)) {
        end_after_packet_ = true;
      } else {
        state_ = State::kRows;
      }
      return absl::OkStatus();
    }
    case State::kRows:
      if (IsTerminator(first)) return OnTerminator(p);
      return absl::OkStatus();  // a row (binary rows start with 0x00)
    case State::kPrepareOk:
      return OnPrepareOk(p);
    case State::kParamDefs:
      if (--defs_left_ == 0) {
        if (deprecate_eof_) {
          AfterParams();
        } else {
          state_ = State::kParamsEof;
        }
      }
      return absl::OkStatus();
    case State::kParamsEof:
      OBP_RETURN_IF_ERROR(OnEof(p));
      AfterParams();
      return absl::OkStatus();
    case State::kPrepColumnDefs:
      if (--defs_left_ == 0) {
        if (deprecate_eof_) {
          end_after_packet_ = true;
        } else {
          state_ = State::kPrepColumnsEof;
        }
      }
      return absl::OkStatus();
    case State::kPrepColumnsEof:
      OBP_RETURN_IF_ERROR(OnEof(p));
      end_after_packet_ = true;
      return absl::OkStatus();
    case State::kFieldList:
      if (!IsTerminator(first)) return absl::OkStatus();  // a column definition
      OBP_RETURN_IF_ERROR(OnTerminator(p));
      end_after_packet_ = true;
      return absl::OkStatus();
    case State::kStatistics:
      end_after_packet_ = true;
      return absl::OkStatus();
  }
  return Malformed("unknown state");
}

absl::Status ResponseScanner::OnErr(absl::string_view p) {
  if (p.size() >= 3 && static_cast<uint8_t>(p[1]) == 0xFF && static_cast<uint8_t>(p[2]) == 0xFF) {
    static_assert(kProgressReportCode == 0xFFFF);
    return absl::OkStatus();  // MariaDB progress report: informational, skip it
  }
  auto err = DecodeErr(p);
  if (!err.ok()) return Malformed(err.status().message());
  error_ = *std::move(err);
  is_error_ = true;
  has_status_ = false;
  affected_rows_ = last_insert_id_ = 0;
  end_after_packet_ = true;
  return absl::OkStatus();
}

absl::Status ResponseScanner::OnOk(absl::string_view p) {
  auto ok = ParseOkPrefix(p);
  if (!ok.ok()) return Malformed("OK packet");
  status_flags_ = ok->status_flags;
  warnings_ = ok->warnings;
  affected_rows_ = ok->affected_rows;
  last_insert_id_ = ok->last_insert_id;
  has_status_ = true;
  AfterResultEnd();
  return absl::OkStatus();
}

absl::Status ResponseScanner::OnEof(absl::string_view p) {
  if (static_cast<uint8_t>(p[0]) != kEofHeader || pkt_len_ >= 9) {
    return Malformed("expected an EOF packet");
  }
  auto eof = DecodeEof(p);
  if (!eof.ok()) return Malformed("EOF packet");
  status_flags_ = eof->status_flags;
  warnings_ = eof->warnings;
  has_status_ = true;
  // An EOF carries no counters: an OK of an earlier result (more-results) must not
  // show through when this EOF ends the response (row terminator, cursor opened).
  affected_rows_ = last_insert_id_ = 0;
  return absl::OkStatus();
}

absl::Status ResponseScanner::OnTerminator(absl::string_view p) {
  if (deprecate_eof_) return OnOk(p);
  OBP_RETURN_IF_ERROR(OnEof(p));
  AfterResultEnd();
  return absl::OkStatus();
}

void ResponseScanner::AfterResultEnd() {
  if ((kind_ == ResponseKind::kGeneric || kind_ == ResponseKind::kStmtExecuteCursor) &&
      (status_flags_ & kServerMoreResultsExists)) {
    state_ = State::kResultStart;
  } else {
    end_after_packet_ = true;
  }
}

absl::Status ResponseScanner::OnColumnCount(absl::string_view p) {
  Reader r(p);
  auto count = r.ReadLenEnc();
  if (!count.ok() || *count == 0) return Malformed("column count");
  defs_left_ = *count;
  state_ = State::kColumnDefs;
  return absl::OkStatus();
}

absl::Status ResponseScanner::OnPrepareOk(absl::string_view p) {
  Reader r(p);
  if (static_cast<uint8_t>(p[0]) != kOkHeader) return Malformed("expected PREPARE_OK");
  OBP_RETURN_IF_ERROR(r.Skip(1));
  auto id = r.ReadU32();
  auto cols = r.ReadU16();
  auto params = r.ReadU16();
  if (!id.ok() || !cols.ok() || !params.ok()) return Malformed("PREPARE_OK");
  stmt_id_ = *id;
  num_columns_ = *cols;
  num_params_ = *params;
  if (r.Skip(1).ok()) {
    auto warnings = r.ReadU16();
    if (warnings.ok()) warnings_ = *warnings;
  }
  if (num_params_ > 0) {
    defs_left_ = num_params_;
    state_ = State::kParamDefs;
  } else {
    AfterParams();
  }
  return absl::OkStatus();
}

void ResponseScanner::AfterParams() {
  if (num_columns_ > 0) {
    defs_left_ = num_columns_;
    state_ = State::kPrepColumnDefs;
  } else {
    end_after_packet_ = true;
  }
}

}  // namespace obp::mysql
