// OK / ERR / EOF against bytes captured from MariaDB 10.11.
#include "proxyd/mysql/packets.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "proxyd/mysql/constants.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::FirstPayload;
using testing::LoadCapture;
using testing::SplitPackets;

TEST(PacketsTest, LoginOk) {
  auto c = LoadCapture("login_ok");
  std::string p = FirstPayload(c.bytes);
  ASSERT_TRUE(IsOkPacket(p));
  auto ok = DecodeOk(p, c.caps);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->affected_rows, 0u);
  EXPECT_EQ(ok->status_flags, kServerStatusAutocommit);
  EXPECT_EQ(ok->warnings, 0);
  EXPECT_EQ(EncodeOk(*ok, c.caps), p);
  for (size_t cut = 0; cut < p.size(); ++cut) EXPECT_FALSE(DecodeOk(p.substr(0, cut), c.caps).ok());
}

TEST(PacketsTest, InsertOkWithInfo) {
  auto c = LoadCapture("insert_ok");
  std::string p = FirstPayload(c.bytes);
  auto ok = DecodeOk(p, c.caps);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->affected_rows, 2u);
  EXPECT_GT(ok->last_insert_id, 5u);
  EXPECT_EQ(ok->info, "Records: 2  Duplicates: 0  Warnings: 0");
  EXPECT_EQ(EncodeOk(*ok, c.caps), p);
  // The info is length-encoded (even without CLIENT_SESSION_TRACK): a cut inside it
  // fails; a cut right before it is an OK without info.
  const size_t info_at = p.size() - ok->info.size() - 1;
  for (size_t cut = 0; cut < p.size(); ++cut) {
    EXPECT_EQ(DecodeOk(p.substr(0, cut), c.caps).ok(), cut == info_at) << cut;
  }
}

TEST(PacketsTest, BeginOkIsInTransaction) {
  auto c = LoadCapture("begin_ok");
  auto ok = DecodeOk(FirstPayload(c.bytes), c.caps);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->status_flags & kServerStatusInTrans);
}

TEST(PacketsTest, SessionTrackOkSkipsStateInfo) {
  for (const char* name :
       {"login_ok_session_track", "set_autocommit_session_track", "use_db_session_track"}) {
    auto c = LoadCapture(name);
    ASSERT_TRUE(c.caps & kClientSessionTrack);
    std::string p = FirstPayload(c.bytes);
    auto ok = DecodeOk(p, c.caps);
    ASSERT_TRUE(ok.ok()) << name << ": " << ok.status();
    EXPECT_TRUE(ok->status_flags & kServerSessionStateChanged) << name;
    EXPECT_EQ(ok->info, "") << name;
    for (size_t cut = 0; cut < p.size(); ++cut) {
      EXPECT_FALSE(DecodeOk(p.substr(0, cut), c.caps).ok()) << name << " cut " << cut;
    }
  }
  auto ac = DecodeOk(FirstPayload(LoadCapture("set_autocommit_session_track").bytes),
                     kClientProtocol41 | kClientSessionTrack);
  ASSERT_TRUE(ac.ok());
  EXPECT_FALSE(ac->status_flags & kServerStatusAutocommit);
}

TEST(PacketsTest, OkRoundTrips) {
  OkPacket ok{300, 70000, kServerStatusInTrans | kServerMoreResultsExists, 3, "Rows matched: 1"};
  for (uint32_t caps : {kClientProtocol41, kClientProtocol41 | kClientSessionTrack}) {
    for (uint8_t header : {uint8_t{0x00}, uint8_t{0xFE}}) {
      std::string p = EncodeOk(ok, caps, header);
      EXPECT_EQ(static_cast<uint8_t>(p[0]), header);
      auto back = DecodeOk(p, caps);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->affected_rows, ok.affected_rows);
      EXPECT_EQ(back->last_insert_id, ok.last_insert_id);
      EXPECT_EQ(back->status_flags, ok.status_flags);
      EXPECT_EQ(back->warnings, ok.warnings);
      EXPECT_EQ(back->info, ok.info);
    }
  }
  EXPECT_FALSE(DecodeOk(EncodeErr({1, "HY000", "x"}), kClientProtocol41).ok());
}

TEST(PacketsTest, RealErrors) {
  struct Case {
    const char* name;
    uint16_t code;
    const char* state;
    const char* message_start;
  } cases[] = {
      {"err_access_denied", 1045, "28000", "Access denied for user 'cap'@'"},
      {"err_unknown_table", 1146, "42S02", "Table 'capdb.no_such_table' doesn't exist"},
      {"err_unknown_table_deof", 1146, "42S02", "Table 'capdb.no_such_table' doesn't exist"},
      {"init_db_err", 1049, "42000", "Unknown database 'no_such_db'"},
      {"prepare_err", 1146, "42S02", "Table 'capdb.no_such_table' doesn't exist"},
  };
  for (const Case& k : cases) {
    std::string p = FirstPayload(LoadCapture(k.name).bytes);
    ASSERT_TRUE(IsErrPacket(p)) << k.name;
    auto err = DecodeErr(p);
    ASSERT_TRUE(err.ok()) << k.name;
    EXPECT_EQ(err->code, k.code) << k.name;
    EXPECT_EQ(err->sql_state, k.state) << k.name;
    EXPECT_TRUE(absl::StartsWith(err->message, k.message_start)) << err->message;
    EXPECT_EQ(EncodeErr(*err), p) << k.name;
    // The fixed part: header, code, '#', state. Cutting right after the code is the
    // legal state-less form; every other cut inside it fails.
    for (size_t cut = 0; cut < 9; ++cut) {
      EXPECT_EQ(DecodeErr(p.substr(0, cut)).ok(), cut == 3) << k.name << " cut " << cut;
    }
  }
}

TEST(PacketsTest, ErrWithoutSqlState) {
  std::string p = "\xFF\x10\x04Too many connections";
  auto err = DecodeErr(p);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->code, 1040);
  EXPECT_EQ(err->sql_state, "HY000");
  EXPECT_EQ(err->message, "Too many connections");
}

TEST(PacketsTest, ProgressReportIsNotAnError) {
  std::string p = std::string("\xFF\xFF\xFF\x01\x01\x02", 6) + "\x10\x27\x00\x05stage";
  EXPECT_FALSE(DecodeErr(p).ok());
}

TEST(PacketsTest, RealEof) {
  auto packets = SplitPackets(LoadCapture("text_resultset").bytes);
  const std::string& p = packets.back().payload;
  ASSERT_TRUE(IsEofPacket(p));
  auto eof = DecodeEof(p);
  ASSERT_TRUE(eof.ok());
  EXPECT_EQ(eof->warnings, 0);
  EXPECT_TRUE(eof->status_flags & kServerStatusAutocommit);
  EXPECT_EQ(EncodeEof(eof->warnings, eof->status_flags), p);
  for (size_t cut = 0; cut < p.size(); ++cut) EXPECT_FALSE(DecodeEof(p.substr(0, cut)).ok());
}

TEST(PacketsTest, ProcessKill) {
  // What `mysqladmin kill 1234567` sends (mysql_kill()): 0x0C + the id, little-endian.
  const std::string p("\x0c\x87\xd6\x12\x00", 5);
  auto id = DecodeProcessKill(p);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 1234567u);
  EXPECT_EQ(*DecodeProcessKill(std::string("\x0c\xff\xff\xff\xff", 5)), 0xFFFFFFFFu);
  EXPECT_EQ(*DecodeProcessKill(p + "xyz"), 1234567u);  // trailing bytes are ignored
  for (size_t cut = 0; cut < p.size(); ++cut) {
    EXPECT_FALSE(DecodeProcessKill(p.substr(0, cut)).ok()) << cut;
  }
  auto other = DecodeProcessKill(std::string("\x03\x87\xd6\x12\x00", 5));  // COM_QUERY
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PacketsTest, Predicates) {
  EXPECT_FALSE(IsOkPacket(""));
  EXPECT_FALSE(IsErrPacket(""));
  EXPECT_FALSE(IsEofPacket(""));
  EXPECT_TRUE(IsEofPacket(EncodeEof(0, 2)));
  EXPECT_TRUE(IsEofPacket(EncodeOk({}, kClientProtocol41, 0xFE)));
  EXPECT_FALSE(IsEofPacket(std::string("\xFE") + std::string(8, 'x')));  // 9 bytes: a row
}

TEST(PacketsTest, MoreResultsFlagOnRealEofAndOk) {
  // The EOF that ends a captured result set, and the OK of a captured login.
  std::string eof = SplitPackets(LoadCapture("text_resultset").bytes).back().payload;
  ASSERT_TRUE(SetMoreResultsFlag(eof.data(), eof.size(), 0).ok());
  auto e = DecodeEof(eof);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->status_flags & kServerMoreResultsExists);
  EXPECT_TRUE(e->status_flags & kServerStatusAutocommit);  // the rest kept

  OkPacket in;
  in.affected_rows = 300;  // a 3-byte length-encoded integer
  in.last_insert_id = 70000;
  in.status_flags = kServerStatusAutocommit;
  in.warnings = 2;
  in.info = "Records: 1";
  for (uint8_t header : {uint8_t{0x00}, uint8_t{0xFE}}) {
    std::string ok = EncodeOk(in, kClientDeprecateEof, header);
    ASSERT_TRUE(SetMoreResultsFlag(ok.data(), ok.size(), kClientDeprecateEof).ok());
    auto out = DecodeOk(ok, kClientDeprecateEof);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->status_flags, kServerStatusAutocommit | kServerMoreResultsExists);
    EXPECT_EQ(out->affected_rows, 300u);
    EXPECT_EQ(out->warnings, 2);
    EXPECT_EQ(out->info, "Records: 1");
  }
}

TEST(PacketsTest, MoreResultsFlagRefusesOtherPackets) {
  std::string err = EncodeErr(ErrPacket{1064, "42000", "syntax"});
  EXPECT_FALSE(SetMoreResultsFlag(err.data(), err.size(), 0).ok());
  std::string ok = EncodeOk(OkPacket{}, 0);
  for (size_t cut = 0; cut + 2 < ok.size(); ++cut) {  // cut into or before the status
    std::string p = ok.substr(0, cut);
    EXPECT_FALSE(SetMoreResultsFlag(p.data(), p.size(), 0).ok()) << cut;
  }
}

}  // namespace
}  // namespace obp::mysql
