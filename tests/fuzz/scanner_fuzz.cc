// libFuzzer target: ResponseScanner (proxyd/mysql/response_scanner.h), which reads
// every byte a backend sends back: OK, ERR (also mid-result), result sets, multiple
// results, cursors, PREPARE_OK, LOCAL INFILE requests, payloads of 16 MiB and more.
//
// Input: byte 0 = options: kind = (bits 0..2) % 5, bit 3 DEPRECATE_EOF, bit 4
// SESSION_TRACK, bit 5 "big": a packet header with a length >= 64 KiB is followed by
// one byte r, then r real payload bytes, and the scanner sees the rest of that
// payload as zeros it never copies (so 16 MiB continuations cost nothing here).
// Byte 1 = k (mod 8), then k 4-byte cut points, then the backend's bytes.
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
//  - a done response has a 5-character SQLSTATE if it is an ERR, and no status then.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/response_scanner.h"
#include "tests/fuzz/fuzz_util.h"

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
  o.is_error = s.is_error();
  if (o.is_error) {
    o.err_code = s.error().code;
    o.sql_state = s.error().sql_state;
    o.message = s.error().message;
    FUZZ_CHECK(o.sql_state.size() == 5);
    FUZZ_CHECK(o.message.size() <= 1024);
    FUZZ_CHECK(!s.has_status());
  }
  o.has_status = s.has_status();
  o.status = s.final_status_flags();
  o.warnings = s.warnings();
  o.affected = s.affected_rows();
  o.last_id = s.last_insert_id();
  o.stmt_id = s.stmt_id();
  o.cols = s.num_columns();
  o.params = s.num_params();
  o.last_seq = s.last_seq();
  return o;
}

}  // namespace
}  // namespace obp::mysql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::mysql;
  obp::fuzz::Input in(data, size);
  const uint8_t options = in.U8();
  const auto kind = static_cast<ResponseKind>((options & 7) % 5);
  uint32_t caps = kClientProtocol41;
  if (options & 0x08) caps |= kClientDeprecateEof;
  if (options & 0x10) caps |= kClientSessionTrack;
  const bool big = options & 0x20;
  const size_t k = in.U8() % 8;
  std::vector<uint32_t> raw_cuts;
  for (size_t i = 0; i < k; ++i) raw_cuts.push_back(in.U32());
  const std::vector<Piece> pieces = BuildStream(in.Rest(), big);

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
  return 0;
}
