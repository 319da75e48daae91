// libFuzzer target: ResponseScanner (proxyd/mysql/response_scanner.h), which reads
// every byte a backend sends back: OK, ERR (also mid-result), result sets, multiple
// results, cursors, PREPARE_OK, LOCAL INFILE requests, payloads of 16 MiB and more.
//
// Input: byte 0 = options: kind = (bits 0..2) % 5, bit 3 DEPRECATE_EOF, bit 4
// SESSION_TRACK, bit 5 "big": a packet header with a length >= 64 KiB is followed by
// one byte r, then r real payload bytes, and the scanner sees the rest of that
// payload as zeros it never copies (so 16 MiB continuations cost nothing here).
// Byte 1 = k (mod 8), then k 4-byte cut points, then the backend's bytes. With bit 6
// ("built") set, those bytes are instead a recipe for a well-formed response of that
// kind (OKs, ERRs, result sets with and without MORE_RESULTS, cursors, ERR mid-result,
// LOCAL INFILE, MariaDB progress reports, PREPARE_OK with its definitions, fetched
// rows, field lists), built here, followed by the recipe's unused bytes as the start
// of whatever the backend sends next.
//
// The stream is fed three ways: whole, cut at the k points, and byte by byte (in
// steps of 61 past 2 KiB of real bytes), the second on a scanner reused with Reset().
// A LOCAL INFILE request pauses the feed; the harness checks that feeding then is
// refused, resumes, and goes on. For any input:
//  - Feed never claims more bytes than it was given, and claims all of them unless
//    the response (or the LOCAL INFILE request) ended inside the chunk;
//  - once done, every later Feed returns 0 and changes nothing; once failed, every
//    later Feed fails the same way;
//  - the outcome (failed or not, done, bytes claimed, ERR fields, status, OK
//    counters, PREPARE_OK fields, last sequence id, LOCAL INFILE pauses) is the same
//    for every chunking, and for a reused scanner as for a fresh one;
//  - a done response has a 5-character SQLSTATE if it is an ERR, and no status then;
//  - a built response ends exactly where it was built to end (nothing of what follows
//    is claimed), with the error, status, OK counters, PREPARE_OK fields, sequence id
//    and LOCAL INFILE pauses it was built with.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/response_scanner.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/mysql/wire.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/mysql/scanner_harness.h"

namespace obp::mysql {
namespace {

using fuzz::Input;

constexpr uint32_t kBigPacket = 0x10000;
constexpr size_t kBytewiseLimit = 2048;

struct Outcome {
  bool failed = false;
  std::string fail_message;
  bool done = false;
  int infile_pauses = 0;
  uint64_t consumed = 0;
  bool is_error = false;
  uint16_t err_code = 0;
  std::string sql_state, message;
  bool has_status = false;
  uint16_t status = 0, warnings = 0;
  uint64_t affected = 0, last_id = 0;
  uint32_t stmt_id = 0;
  uint16_t cols = 0, params = 0;
  uint8_t last_seq = 0;

  bool operator==(const Outcome&) const = default;
};

// The logical stream: real runs point into the input, filler runs into a shared
// buffer of zeros.
struct Piece {
  absl::string_view bytes;
  bool real;
};

absl::string_view Zeros(size_t n) {
  static const std::string* zeros = new std::string(kMaxPacketPayload, '\0');
  return absl::string_view(*zeros).substr(0, n);
}

std::vector<Piece> BuildStream(absl::string_view in, bool big) {
  std::vector<Piece> out;
  if (!big) {
    out.push_back({in, true});
    return out;
  }
  size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < kHeaderSize) {
      out.push_back({in.substr(pos), true});
      break;
    }
    const auto* h = reinterpret_cast<const uint8_t*>(in.data() + pos);
    const uint32_t len = h[0] | h[1] << 8 | h[2] << 16;
    out.push_back({in.substr(pos, kHeaderSize), true});
    pos += kHeaderSize;
    if (len < kBigPacket) {
      const absl::string_view body = in.substr(pos, len);
      if (!body.empty()) out.push_back({body, true});
      pos += body.size();
      continue;
    }
    const size_t r = pos < in.size() ? static_cast<uint8_t>(in[pos++]) : 0;
    const absl::string_view body = in.substr(pos, r);
    if (!body.empty()) out.push_back({body, true});
    pos += body.size();
    out.push_back({Zeros(len - body.size()), false});
  }
  return out;
}

// How a run cuts the stream: at `cuts` (logical offsets), and also every `step` bytes
// of real pieces when step > 0; a filler piece is cut once, at `filler_cut` % size.
struct Chunking {
  std::vector<uint64_t> cuts;  // ascending
  size_t step = 0;
  uint64_t filler_cut = 0;
};

std::vector<absl::string_view> Chunks(const std::vector<Piece>& pieces, const Chunking& how) {
  std::vector<absl::string_view> out;
  uint64_t base = 0;
  size_t next_cut = 0;
  for (const Piece& p : pieces) {
    std::vector<size_t> at;  // offsets inside p
    while (next_cut < how.cuts.size() && how.cuts[next_cut] < base + p.bytes.size()) {
      if (how.cuts[next_cut] > base) at.push_back(how.cuts[next_cut] - base);
      ++next_cut;
    }
    if (p.real && how.step > 0) {
      for (size_t o = how.step; o < p.bytes.size(); o += how.step) at.push_back(o);
    }
    if (!p.real && how.step > 0 && !p.bytes.empty()) at.push_back(how.filler_cut % p.bytes.size());
    std::sort(at.begin(), at.end());
    size_t from = 0;
    for (size_t o : at) {
      if (o <= from) continue;
      out.push_back(p.bytes.substr(from, o - from));
      from = o;
    }
    out.push_back(p.bytes.substr(from));
    base += p.bytes.size();
  }
  return out;
}

Outcome Run(ResponseScanner& s, const std::vector<absl::string_view>& chunks) {
  Outcome o;
  for (absl::string_view rest : chunks) {
    while (!rest.empty()) {
      absl::StatusOr<size_t> n = s.Feed(rest);
      if (!n.ok()) {
        o.failed = true;
        o.fail_message = std::string(n.status().message());
        // Failed stays failed, with the same status.
        absl::StatusOr<size_t> again = s.Feed(rest);
        FUZZ_CHECK(!again.ok() && again.status() == n.status());
        break;
      }
      FUZZ_CHECK(*n <= rest.size());
      o.consumed += *n;
      if (s.done()) {
        FUZZ_CHECK(!s.wants_local_infile());
        break;
      }
      if (s.wants_local_infile()) {
        ++o.infile_pauses;
        absl::StatusOr<size_t> refused = s.Feed(rest.substr(*n));
        FUZZ_CHECK(!refused.ok() &&
                   refused.status().code() == absl::StatusCode::kFailedPrecondition);
        s.ResumeAfterLocalInfile();
        rest.remove_prefix(*n);
        continue;
      }
      FUZZ_CHECK(*n == rest.size());  // still inside the response: every byte is its own
      rest = absl::string_view();
    }
    if (o.failed || s.done()) break;
  }
  o.done = s.done();
  if (o.failed) {
    o.consumed = 0;  // where a feed fails depends on the chunking; the verdict doesn't
    return o;
  }
  if (!o.done) return o;
  // Done: later feeds take nothing and change nothing.
  for (absl::string_view extra :
       {absl::string_view(), absl::string_view("\x01\x00\x00\x01\xff", 5)}) {
    absl::StatusOr<size_t> n = s.Feed(extra);
    FUZZ_CHECK(n.ok() && *n == 0 && s.done());
  }
  obp::mysql::testing::ReadFinalState(s, o);
  if (o.is_error) {
    FUZZ_CHECK(o.sql_state.size() == 5);
    FUZZ_CHECK(o.message.size() <= 1024);
    FUZZ_CHECK(!s.has_status());
  }
  return o;
}

// A well-formed response, as the recipe in `in` says, and what the scanner must
// report for it.
class Builder {
 public:
  Builder(Input& in, ResponseKind kind, uint32_t caps)
      : in_(in), kind_(kind), deprecate_eof_(caps & kClientDeprecateEof), seq_(in.U8()) {}

  // Returns the response's bytes; `want` is what the scanner must report.
  std::string Build(Outcome* want) {
    want_.done = true;
    switch (kind_) {
      case ResponseKind::kGeneric:
      case ResponseKind::kStmtExecuteCursor:  // Generic() opens a cursor now and then
        Generic();
        break;
      case ResponseKind::kStmtPrepare:
        Prepare();
        break;
      case ResponseKind::kStmtFetch:
        Rows(/*binary=*/true, /*fetch=*/true);
        break;
      case ResponseKind::kFieldList:
        FieldList();
        break;
      case ResponseKind::kStatistics:
        Statistics();
        break;
    }
    want_.consumed = out_.size();
    want_.last_seq = static_cast<uint8_t>(seq_ - 1);
    *want = want_;
    return out_;
  }

 private:
  void Packet(absl::string_view payload) {
    // Now and then a MariaDB progress report first: informational, skipped.
    if (in_.U8() % 16 == 0) {
      std::string progress("\xff\xff\xff\x01\x01\x02", 6);
      progress += std::string(in_.Bytes(in_.Below(8)));
      AppendPacket(&out_, &seq_, progress);
    }
    AppendPacket(&out_, &seq_, payload);
  }

  uint16_t Status(bool more) {
    // kGeneric ignores the cursor flag (a stored procedure's open cursor), so it may
    // come up at random there; elsewhere it would end a result set early.
    const uint16_t cursor = kind_ == ResponseKind::kGeneric ? 0 : kServerStatusCursorExists;
    uint16_t s = in_.U16() & ~(kServerMoreResultsExists | cursor);
    return more ? s | kServerMoreResultsExists : s;
  }

  void Ok(uint8_t header, bool more) {
    const uint64_t affected = in_.U64() >> in_.Below(64);
    const uint64_t last_id = in_.U64() >> in_.Below(64);
    const uint16_t status = Status(more);
    const uint16_t warnings = in_.U16();
    std::string p;
    Writer w(&p);
    w.U8(header);
    w.LenEnc(affected);
    w.LenEnc(last_id);
    w.U16(status);
    w.U16(warnings);
    w.Bytes(in_.Bytes(in_.Below(16)));  // info and session state: not the scanner's business
    Packet(p);
    want_.has_status = true;
    want_.status = status;
    want_.warnings = warnings;
    want_.affected = affected;
    want_.last_id = last_id;
  }

  void Eof(uint16_t status) {
    const uint16_t warnings = in_.U16();
    Packet(EncodeEof(warnings, status));
    want_.has_status = true;
    want_.status = status;
    want_.warnings = warnings;
    want_.affected = want_.last_id = 0;
  }

  // The row terminator: EOF, or under DEPRECATE_EOF an OK with header 0xFE.
  void Terminator(bool more) {
    if (deprecate_eof_) {
      Ok(kEofHeader, more);
    } else {
      Eof(Status(more));
    }
  }

  void Err() {
    ErrPacket e;
    e.code = static_cast<uint16_t>(in_.Below(0xFFFF));
    e.sql_state = std::string(in_.Bytes(5));
    e.sql_state.resize(5, '0');
    e.message = std::string(in_.Bytes(in_.Below(80)));
    Packet(EncodeErr(e));
    want_.is_error = true;
    want_.err_code = e.code;
    want_.sql_state = e.sql_state;
    want_.message = e.message;
    want_.has_status = false;
    want_.affected = want_.last_id = 0;
  }

  void Defs(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      ColumnDef c;
      c.name = std::string(in_.Bytes(in_.Below(8)));
      c.type = in_.U8();
      Packet(EncodeColumnDef(c, false));
    }
  }

  // Rows, then the terminator or an ERR. Returns false when an ERR ended them.
  bool Rows(bool binary, bool fetch, bool more = false) {
    const size_t n = in_.Below(5);
    for (size_t i = 0; i < n; ++i) {
      std::string row;
      Writer w(&row);
      if (binary) w.U8(0x00);
      for (size_t v = in_.Below(4); v > 0; --v) {
        if (!binary && in_.U8() % 4 == 0) {
          w.Null();
        } else {
          w.LenEncString(in_.Bytes(in_.Below(20)));
        }
      }
      if (row.empty()) w.U8(0);  // an empty string value
      Packet(row);
    }
    if (in_.U8() % 8 == 0) {
      Err();
      return false;
    }
    if (fetch) {
      Terminator(in_.Bool());  // more-results means nothing after a fetch
    } else {
      Terminator(more);
    }
    return true;
  }

  void Generic() {
    const size_t results = 1 + in_.Below(4);
    for (size_t r = 0; r < results; ++r) {
      const bool more = r + 1 < results;
      switch (in_.U8() % 8) {
        case 0:
        case 1:
          Ok(kOkHeader, more);
          break;
        case 2:
          Err();
          return;
        case 3:  // LOCAL INFILE: the server asks, the client sends, the server answers
          Packet(std::string("\xfb") + std::string(in_.Bytes(in_.Below(12))));
          ++want_.infile_pauses;
          if (in_.U8() % 4 == 0) {
            Err();
            return;
          }
          Ok(kOkHeader, more);
          break;
        default: {
          const size_t cols = 1 + in_.Below(4);
          std::string count;
          Writer(&count).LenEnc(cols);
          Packet(count);
          Defs(cols);
          if (in_.U8() % 16 == 0) {  // ERR right after the definitions
            Err();
            return;
          }
          if (!deprecate_eof_) {
            // A cursor opened by COM_STMT_EXECUTE: this EOF ends the response. For
            // kGeneric the flag may be set at random (Status) and the rows follow.
            const bool cursor =
                kind_ == ResponseKind::kStmtExecuteCursor && in_.U8() % 8 == 0;
            const uint16_t status = Status(false) | (cursor ? kServerStatusCursorExists : 0);
            Eof(status);
            if (cursor) return;
          }
          if (!Rows(in_.Bool(), /*fetch=*/false, more)) return;
          break;
        }
      }
    }
  }

  void Prepare() {
    if (in_.U8() % 8 == 0) {
      Err();
      return;
    }
    const uint32_t id = in_.U32();
    const uint16_t cols = static_cast<uint16_t>(in_.Below(5));
    const uint16_t params = static_cast<uint16_t>(in_.Below(5));
    const uint16_t warnings = in_.U16();
    std::string p;
    Writer w(&p);
    w.U8(kOkHeader);
    w.U32(id);
    w.U16(cols);
    w.U16(params);
    w.U8(0);
    w.U16(warnings);
    Packet(p);
    want_.stmt_id = id;
    want_.cols = cols;
    want_.params = params;
    want_.warnings = warnings;
    for (uint16_t n : {params, cols}) {
      Defs(n);
      if (n > 0 && !deprecate_eof_) Eof(in_.U16());
    }
  }

  void FieldList() {
    if (in_.U8() % 8 == 0) {
      Err();
      return;
    }
    Defs(in_.Below(5));
    Terminator(false);
  }

  void Statistics() {
    if (in_.U8() % 8 == 0) {
      Err();
      return;
    }
    std::string text(in_.Bytes(in_.Below(60)));
    if (!text.empty() && static_cast<uint8_t>(text[0]) == kErrHeader) text[0] = 'U';
    Packet(text);
  }

  Input& in_;
  ResponseKind kind_;
  bool deprecate_eof_;
  uint8_t seq_;
  std::string out_;
  Outcome want_;
};

// What must hold of `got` for the built response `want` (fields the scanner calls
// meaningless for it are left out).
void CheckBuilt(const Outcome& got, const Outcome& want) {
  FUZZ_CHECK(!got.failed && got.done);
  FUZZ_CHECK(got.consumed == want.consumed);
  FUZZ_CHECK(got.infile_pauses == want.infile_pauses);
  FUZZ_CHECK(got.last_seq == want.last_seq);
  FUZZ_CHECK(got.is_error == want.is_error);
  if (want.is_error) {
    FUZZ_CHECK(got.err_code == want.err_code && got.sql_state == want.sql_state &&
               got.message == want.message);
  }
  FUZZ_CHECK(got.has_status == want.has_status);
  if (want.has_status) FUZZ_CHECK(got.status == want.status && got.warnings == want.warnings);
  FUZZ_CHECK(got.affected == want.affected && got.last_id == want.last_id);
  if (!want.is_error) {
    FUZZ_CHECK(got.stmt_id == want.stmt_id && got.cols == want.cols && got.params == want.params);
  }
}

}  // namespace
}  // namespace obp::mysql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::mysql;
  obp::fuzz::Input in(data, size);
  const uint8_t options = in.U8();
  const auto kind = static_cast<ResponseKind>((options & 7) % 6);
  uint32_t caps = kClientProtocol41;
  if (options & 0x08) caps |= kClientDeprecateEof;
  if (options & 0x10) caps |= kClientSessionTrack;
  const bool big = options & 0x20;
  const size_t k = in.U8() % 8;
  std::vector<uint32_t> raw_cuts;
  for (size_t i = 0; i < k; ++i) raw_cuts.push_back(in.U32());
  const bool built = options & 0x40;
  Outcome want;
  std::string stream;
  if (built) {
    stream = Builder(in, kind, caps).Build(&want);
    const absl::string_view next = in.Rest();  // what the backend sends after it
    stream.append(next.data(), next.size());
  }
  const std::vector<Piece> pieces =
      built ? BuildStream(stream, /*big=*/false) : BuildStream(in.Rest(), big);

  uint64_t total = 0, real = 0;
  for (const Piece& p : pieces) {
    total += p.bytes.size();
    if (p.real) real += p.bytes.size();
  }

  Chunking whole;
  Chunking cut;
  for (uint32_t c : raw_cuts) cut.cuts.push_back(c % (total + 1));
  std::sort(cut.cuts.begin(), cut.cuts.end());
  Chunking bytewise;
  bytewise.step = real <= kBytewiseLimit ? 1 : 61;
  bytewise.filler_cut = raw_cuts.empty() ? kMaxPacketPayload / 2 : raw_cuts[0];

  ResponseScanner first(caps, kind);
  const Outcome a = Run(first, Chunks(pieces, whole));
  FUZZ_CHECK(a.failed || a.done || a.consumed == total);

  // The same scanner again, after Reset: nothing of the first run may leak.
  first.Reset(kind, caps);
  const Outcome b = Run(first, Chunks(pieces, cut));
  FUZZ_CHECK(a == b);

  ResponseScanner fresh(caps ^ kClientDeprecateEof, kind == ResponseKind::kGeneric
                                                        ? ResponseKind::kStmtFetch
                                                        : ResponseKind::kGeneric);
  fresh.Reset(kind, caps);
  const Outcome c = Run(fresh, Chunks(pieces, bytewise));
  FUZZ_CHECK(a == c);
  if (built) CheckBuilt(a, want);
  return 0;
}
