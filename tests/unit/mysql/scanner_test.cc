// ResponseScanner against every response captured from MariaDB 10.11, fed whole,
// split in two at every offset, and one byte at a time.
#include <gtest/gtest.h>

#include <random>

#include "absl/strings/match.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/response_scanner.h"
#include "proxyd/mysql/wire.h"
#include "tests/unit/mysql/scanner_harness.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::FeedCuts;
using testing::LoadCapture;
using testing::Outcome;
using testing::RunChunked;
using testing::RunWhole;

constexpr int kAny = -1;

struct Expect {
  const char* name;
  ResponseKind kind;
  int err_code = 0;  // 0: not an error
  int status = kAny;
  int affected = kAny;
  uint32_t stmt_id = 0;
  uint16_t cols = 0, params = 0;
};

constexpr uint16_t kAc = kServerStatusAutocommit;
constexpr uint16_t kNoIdx = kServerQueryNoIndexUsed;
constexpr uint16_t kCursor = kServerStatusCursorExists;

const Expect kCases[] = {
    {"login_ok", ResponseKind::kGeneric, 0, kAc, 0},
    {"err_access_denied", ResponseKind::kGeneric, 1045},
    {"login_ok_session_track", ResponseKind::kGeneric, 0, kAc | kServerSessionStateChanged},
    {"set_autocommit_session_track", ResponseKind::kGeneric, 0, kServerSessionStateChanged},
    {"use_db_session_track", ResponseKind::kGeneric, 0, kServerSessionStateChanged},
};

const Expect kPerCaps[] = {
    {"err_unknown_table", ResponseKind::kGeneric, 1146},
    {"text_resultset", ResponseKind::kGeneric, 0, kAc | kNoIdx, 0},
    {"multi_statements", ResponseKind::kGeneric, 0, kAc | kNoIdx, 1},
    {"call_two_results", ResponseKind::kGeneric, 0, kAc, 0},
    {"insert_ok", ResponseKind::kGeneric, 0, kAc, 2},
    {"cleanup_ok", ResponseKind::kGeneric, 0, kAc},
    {"begin_ok", ResponseKind::kGeneric, 0, kAc | kServerStatusInTrans, 0},
    {"commit_ok", ResponseKind::kGeneric, 0, kAc, 0},
    {"ping_ok", ResponseKind::kGeneric, 0, kAc, 0},
    {"init_db_err", ResponseKind::kGeneric, 1049},
    {"field_list", ResponseKind::kFieldList, 0, kAc},
    {"statistics", ResponseKind::kStatistics},
    {"prepare_ok", ResponseKind::kStmtPrepare, 0, kAny, kAny, 1, 2, 2},
    {"stmt_execute_rows", ResponseKind::kGeneric, 0, kAc, 0},
    {"stmt_execute_cursor", ResponseKind::kStmtExecuteCursor, 0, kAc | kCursor, 0},
    {"query_while_cursor", ResponseKind::kGeneric, 0, kAc, 0},
    {"stmt_fetch_2", ResponseKind::kStmtFetch, 0, kAc | kCursor, 0},
    {"stmt_fetch_rest", ResponseKind::kStmtFetch, 0, kAc | kServerStatusLastRowSent, 0},
    {"stmt_reset_ok", ResponseKind::kGeneric, 0, kAc, 0},
    {"prepare_no_params", ResponseKind::kStmtPrepare, 0, kAny, kAny, 2, 1, 0},
    {"prepare_no_columns", ResponseKind::kStmtPrepare, 0, kAny, kAny, 3, 0, 0},
    {"prepare_err", ResponseKind::kStmtPrepare, 1146},
    {"local_infile_ok", ResponseKind::kGeneric, 0, kAc, 2},
};

std::vector<std::pair<std::string, Expect>> AllCases() {
  std::vector<std::pair<std::string, Expect>> out;
  for (const Expect& e : kCases) out.emplace_back(e.name, e);
  for (const Expect& e : kPerCaps) {
    out.emplace_back(e.name, e);
    out.emplace_back(std::string(e.name) + "_deof", e);
  }
  return out;
}

void CheckExpectations(const std::string& name, const Expect& e, const Outcome& o,
                       const std::string& bytes) {
  SCOPED_TRACE(name);
  EXPECT_FALSE(o.failed);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, bytes.size());
  EXPECT_EQ(o.is_error, e.err_code != 0);
  if (e.err_code) {
    EXPECT_EQ(o.err_code, e.err_code);
  }
  if (e.status != kAny) {
    EXPECT_TRUE(o.has_status);
    EXPECT_EQ(o.status, e.status);
  }
  if (e.affected != kAny) {
    EXPECT_EQ(o.affected, static_cast<uint64_t>(e.affected));
  }
  EXPECT_EQ(o.stmt_id, e.stmt_id);
  EXPECT_EQ(o.cols, e.cols);
  EXPECT_EQ(o.params, e.params);
  // The last packet's sequence id.
  auto packets = testing::SplitPackets(bytes);
  ASSERT_FALSE(packets.empty());
  EXPECT_EQ(o.last_seq, packets.back().seq);
}

TEST(ScannerTest, EveryCaptureWholeSplitAndBytewise) {
  for (const auto& [name, e] : AllCases()) {
    auto c = LoadCapture(name);
    ASSERT_FALSE(c.bytes.empty()) << name;
    if (absl::EndsWith(name, "_deof")) {
      ASSERT_TRUE(c.caps & kClientDeprecateEof) << name;
    }
    Outcome whole = RunWhole(c.caps, e.kind, c.bytes);
    CheckExpectations(name, e, whole, c.bytes);
    for (size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      ResponseScanner s(c.caps, e.kind);
      ASSERT_EQ(FeedCuts(s, c.bytes, {cut}), whole) << name << " cut at " << cut;
    }
    ASSERT_EQ(RunChunked(c.caps, e.kind, c.bytes, 1), whole) << name << " bytewise";
    ASSERT_EQ(RunChunked(c.caps, e.kind, c.bytes, 3), whole) << name << " by 3";
  }
}

TEST(ScannerTest, StopsAtEndOfResponseWhenMoreBytesFollow) {
  for (const auto& [name, e] : AllCases()) {
    auto c = LoadCapture(name);
    std::string next = LoadCapture("login_ok").bytes;
    std::string stream = c.bytes + next;
    ResponseScanner s(c.caps, e.kind);
    auto n = s.Feed(stream);
    ASSERT_TRUE(n.ok()) << name;
    EXPECT_TRUE(s.done()) << name;
    EXPECT_EQ(*n, c.bytes.size()) << name;
    EXPECT_EQ(*s.Feed(next), 0u) << name;  // done: nothing more belongs to it
    // The same scanner, reset, reads the next response.
    s.Reset(ResponseKind::kGeneric);
    auto m = s.Feed(absl::string_view(stream).substr(*n));
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(s.done());
    EXPECT_EQ(*m, next.size());
  }
}

TEST(ScannerTest, ErrorFieldsOfRealErr) {
  auto c = LoadCapture("err_unknown_table");
  Outcome o = RunChunked(c.caps, ResponseKind::kGeneric, c.bytes, 1);
  EXPECT_EQ(o.err_code, 1146);
  EXPECT_EQ(o.sql_state, "42S02");
  EXPECT_EQ(o.message, "Table 'capdb.no_such_table' doesn't exist");
  EXPECT_FALSE(o.has_status);
}

TEST(ScannerTest, LocalInfile) {
  for (const char* suffix : {"", "_deof"}) {
    auto req = LoadCapture(std::string("local_infile_request") + suffix);
    auto ok = LoadCapture(std::string("local_infile_ok") + suffix);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{5}, req.bytes.size()}) {
      ResponseScanner s(req.caps, ResponseKind::kGeneric);
      // The request is followed by bytes that must not be consumed yet.
      Outcome o = FeedCuts(s, req.bytes + ok.bytes, [&] {
        std::vector<size_t> cuts;
        for (size_t at = chunk; at < req.bytes.size() + ok.bytes.size(); at += chunk) {
          cuts.push_back(at);
        }
        return cuts;
      }());
      EXPECT_TRUE(o.infile);
      EXPECT_FALSE(o.done);
      EXPECT_EQ(o.consumed, req.bytes.size());
      EXPECT_EQ(s.Feed(ok.bytes).status().code(), absl::StatusCode::kFailedPrecondition);
      s.Reset(ResponseKind::kGeneric);
      ASSERT_TRUE(s.Feed(req.bytes).ok());
      ASSERT_TRUE(s.wants_local_infile());
      s.ResumeAfterLocalInfile();
      EXPECT_FALSE(s.wants_local_infile());
      std::vector<size_t> cuts;
      for (size_t at = chunk; at < ok.bytes.size(); at += chunk) cuts.push_back(at);
      Outcome after = FeedCuts(s, ok.bytes, cuts);
      EXPECT_TRUE(after.done);
      EXPECT_EQ(after.consumed, ok.bytes.size());
      EXPECT_EQ(after.affected, 2u);
    }
  }
}

// --- synthesized streams --------------------------------------------------------

std::string Frame(std::initializer_list<std::string> payloads, uint8_t seq = 1) {
  std::string out;
  for (const auto& p : payloads) AppendPacket(&out, &seq, p);
  return out;
}
std::string Bin(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}
const std::string kColDef = testing::SplitPackets(LoadCapture("text_resultset").bytes)[1].payload;

TEST(ScannerTest, ErrInsteadOfRowEndsResponse) {
  std::string err = Bin({0xFF, 0x25, 0x07}) + "#70100Query execution was interrupted";
  std::string stream = Frame({"\x01", kColDef, Bin({0xFE, 0, 0, 2, 0}),
                              "\x01"
                              "1",
                              err});
  Outcome o = RunChunked(kClientProtocol41, ResponseKind::kGeneric, stream, 1);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, stream.size());
  EXPECT_EQ(o.err_code, 1829);
  EXPECT_EQ(o.sql_state, "70100");
}

TEST(ScannerTest, ErrAfterMoreResultsEndsResponse) {
  std::string stream = Frame({Bin({0, 1, 0, kServerMoreResultsExists, 0, 0, 0}),
                              Bin({0xFF, 0x7A, 0x04}) + "#42S02Table 'x' doesn't exist"});
  Outcome o = RunChunked(kClientProtocol41, ResponseKind::kGeneric, stream, 2);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.err_code, 1146);
}

// Found by scanner_fuzz: an OK with more-results, then a result set whose column EOF
// opens a cursor. The response ends at that EOF, so the counters are 0 (they are
// "from a final OK"), not the earlier OK's.
TEST(ScannerTest, CursorAfterMoreResultsHasNoCountersOfTheEarlierOk) {
  std::string stream = Frame({Bin({0, 3, 7, kServerMoreResultsExists, 0, 0, 0}), "\x01", kColDef,
                              Bin({0xFE, 0, 0, kServerStatusCursorExists | 2, 0})});
  for (size_t chunk : {size_t{1}, stream.size()}) {
    Outcome o = RunChunked(kClientProtocol41, ResponseKind::kStmtExecuteCursor, stream, chunk);
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.consumed, stream.size());
    EXPECT_TRUE(o.has_status);
    EXPECT_EQ(o.status, kServerStatusCursorExists | 2);
    EXPECT_EQ(o.affected, 0u);
    EXPECT_EQ(o.last_id, 0u);
  }
}

// What MariaDB sends for `CALL p()` when p opens a cursor and then SELECTs: the
// result set's EOFs carry the cursor flag (the procedure's cursor is open), yet the
// rows follow inline. Only an execute that asked for a cursor ends at that EOF.
TEST(ScannerTest, CursorFlagOfAProcedureDoesNotEndItsResultSet) {
  const uint16_t in_proc = kServerStatusCursorExists | kServerStatusAutocommit;
  std::string stream = Frame({"\x01", kColDef, Bin({0xFE, 0, 0, in_proc, 0}), "\x01" "1",
                              "\x01" "2", Bin({0xFE, 0, 0, in_proc | kServerMoreResultsExists, 0}),
                              Bin({0, 0, 0, kServerStatusAutocommit, 0, 0, 0})});
  for (size_t chunk : {size_t{1}, size_t{5}, stream.size()}) {
    Outcome o = RunChunked(kClientProtocol41, ResponseKind::kGeneric, stream, chunk);
    EXPECT_TRUE(o.done) << chunk;
    EXPECT_EQ(o.consumed, stream.size()) << chunk;
    EXPECT_EQ(o.status, kServerStatusAutocommit) << chunk;
  }
  Outcome cursor = RunWhole(kClientProtocol41, ResponseKind::kStmtExecuteCursor, stream);
  EXPECT_TRUE(cursor.done);
  EXPECT_LT(cursor.consumed, stream.size());
}

TEST(ScannerTest, SkipsMariaDbProgressReports) {
  std::string progress = Bin({0xFF, 0xFF, 0xFF, 1, 1, 2, 0x10, 0x27, 0}) + "\x05stage";
  std::string stream = Frame({progress, progress, Bin({0, 3, 0, 2, 0, 0, 0})});
  Outcome o = RunChunked(kClientProtocol41, ResponseKind::kGeneric, stream, 1);
  EXPECT_TRUE(o.done);
  EXPECT_FALSE(o.is_error);
  EXPECT_EQ(o.affected, 3u);
}

TEST(ScannerTest, LongErrMessageIsKeptUpToCarry) {
  std::string msg(5000, 'm');
  std::string stream = Frame({Bin({0xFF, 0x01, 0x02}) + "#HY000" + msg});
  Outcome o = RunChunked(kClientProtocol41, ResponseKind::kGeneric, stream, 7);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, stream.size());
  EXPECT_EQ(o.err_code, 0x0201);
  EXPECT_GE(o.message.size(), 512u);
  EXPECT_LT(o.message.size(), msg.size());
}

// Under DEPRECATE_EOF the row terminator is an OK with header 0xFE that may be far
// longer than an EOF (info, session state): the length rule is < 0xFFFFFF, not < 9.
TEST(ScannerTest, LongDeprecateEofTerminator) {
  const uint32_t caps = kClientProtocol41 | kClientDeprecateEof | kClientSessionTrack;
  OkPacket ok{0, 0, kAc | kServerStatusInTrans, 1, std::string(40, 'i')};
  std::string terminator = EncodeOk(ok, caps, 0xFE);
  ASSERT_GT(terminator.size(), 9u);
  std::string stream = Frame({"\x01", kColDef,
                              "\x01"
                              "1",
                              terminator});
  for (size_t chunk : {size_t{1}, stream.size()}) {
    Outcome o = RunChunked(caps, ResponseKind::kGeneric, stream, chunk);
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.consumed, stream.size());
    EXPECT_EQ(o.status, kAc | kServerStatusInTrans);
  }
  // Without DEPRECATE_EOF the same packet is a row: the response is not over.
  Outcome classic = RunWhole(kClientProtocol41, ResponseKind::kGeneric,
                             Frame({"\x01", kColDef, Bin({0xFE, 0, 0, 2, 0}), terminator}));
  EXPECT_FALSE(classic.done);
  EXPECT_FALSE(classic.failed);
}

TEST(ScannerTest, ResetWithOtherCaps) {
  auto classic = LoadCapture("text_resultset");
  auto deof = LoadCapture("text_resultset_deof");
  ResponseScanner s(classic.caps, ResponseKind::kGeneric);
  ASSERT_TRUE(s.Feed(classic.bytes).ok());
  EXPECT_TRUE(s.done());
  s.Reset(ResponseKind::kGeneric, deof.caps);
  auto n = s.Feed(deof.bytes);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(s.done());
  EXPECT_EQ(*n, deof.bytes.size());
}

TEST(ScannerTest, MalformedStreamsFail) {
  const uint32_t caps = kClientProtocol41;
  const struct {
    const char* what;
    ResponseKind kind;
    std::string stream;
  } cases[] = {
      {"column count cut short", ResponseKind::kGeneric, Frame({Bin({0xFC, 0x01})})},
      {"8-byte column count in 5 bytes", ResponseKind::kGeneric, Frame({Bin({0xFE, 1, 2, 3, 4})})},
      {"empty packet", ResponseKind::kGeneric, Frame({""})},
      {"OK too short", ResponseKind::kGeneric, Frame({Bin({0x00, 0x00})})},
      {"ERR too short", ResponseKind::kGeneric, Frame({Bin({0xFF})})},
      {"row where EOF is due", ResponseKind::kGeneric,
       Frame({"\x01", kColDef,
              "\x01"
              "1"})},
      {"short EOF", ResponseKind::kGeneric, Frame({"\x01", kColDef, Bin({0xFE, 0})})},
      {"prepare answer not OK", ResponseKind::kStmtPrepare, Frame({Bin({5, 1, 0, 0, 0})})},
      {"short PREPARE_OK", ResponseKind::kStmtPrepare, Frame({Bin({0, 1, 0, 0})})},
      {"bad EOF after params", ResponseKind::kStmtPrepare,
       Frame({Bin({0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}), kColDef, kColDef})},
  };
  for (const auto& c : cases) {
    for (size_t chunk : {size_t{1}, c.stream.size()}) {
      ResponseScanner s(caps, c.kind);
      Outcome o = RunChunked(caps, c.kind, c.stream, chunk);
      EXPECT_TRUE(o.failed) << c.what << " chunk " << chunk << " " << o;
      // The error is sticky until Reset.
      auto first = s.Feed(c.stream);
      EXPECT_FALSE(first.ok()) << c.what;
      EXPECT_FALSE(s.Feed("\x07\x00\x00\x01").ok()) << c.what;
      s.Reset(ResponseKind::kGeneric);
      EXPECT_TRUE(s.Feed(LoadCapture("login_ok").bytes).ok());
      EXPECT_TRUE(s.done());
    }
  }
}

// Corrupt every byte of every capture: whatever happens, whole and bytewise
// feeding agree and nothing crashes (the sanitizer build checks memory safety).
TEST(ScannerTest, CorruptedCapturesAreConsistent) {
  for (const auto& [name, e] : AllCases()) {
    auto c = LoadCapture(name);
    for (size_t at = 0; at < c.bytes.size(); ++at) {
      for (uint8_t x : {0x01, 0x80, 0xFF}) {
        std::string bad = c.bytes;
        bad[at] = static_cast<char>(bad[at] ^ x);
        Outcome whole = RunWhole(c.caps, e.kind, bad);
        ASSERT_EQ(RunChunked(c.caps, e.kind, bad, 1), whole) << name << " at " << at;
      }
    }
  }
}

TEST(ScannerTest, RandomStreamsAreConsistent) {
  std::mt19937 rng(12345);
  const ResponseKind kinds[] = {ResponseKind::kGeneric, ResponseKind::kStmtPrepare,
                                ResponseKind::kStmtFetch, ResponseKind::kFieldList,
                                ResponseKind::kStatistics};
  const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x05, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string stream;
    int packets = 1 + rng() % 6;
    for (int p = 0; p < packets; ++p) {
      size_t len = rng() % 14;
      std::string payload;
      for (size_t i = 0; i < len; ++i) {
        payload.push_back(static_cast<char>(rng() % 2 ? interesting[rng() % 9] : rng() % 256));
      }
      uint8_t seq = static_cast<uint8_t>(p);
      AppendPacket(&stream, &seq, payload);
    }
    uint32_t caps = kClientProtocol41 | (rng() % 2 ? kClientDeprecateEof : 0);
    ResponseKind kind = kinds[rng() % 5];
    Outcome whole = RunWhole(caps, kind, stream);
    ASSERT_EQ(RunChunked(caps, kind, stream, 1), whole) << iter;
    ASSERT_EQ(RunChunked(caps, kind, stream, 2), whole) << iter;
  }
}

}  // namespace
}  // namespace obp::mysql
