// Column definitions and text result sets: our encoder must produce what MariaDB
// sends, byte for byte.
#include "proxyd/mysql/resultset.h"

#include <gtest/gtest.h>

#include "proxyd/mysql/response_scanner.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::LoadCapture;
using testing::SplitPackets;

TEST(ResultSetTest, DecodesRealColumnDefs) {
  auto packets = SplitPackets(LoadCapture("text_resultset").bytes);
  ASSERT_GE(packets.size(), 3u);
  auto id = DecodeColumnDef(packets[1].payload, false);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->name, "id");
  EXPECT_EQ(id->org_name, "id");
  EXPECT_EQ(id->table, "t");
  EXPECT_EQ(id->org_table, "t");
  EXPECT_EQ(id->schema, "capdb");
  EXPECT_EQ(id->type, kTypeLong);
  EXPECT_EQ(id->charset, kCharsetBinary);
  EXPECT_TRUE(id->flags & kFlagPriKey);
  EXPECT_TRUE(id->flags & kFlagAutoIncrement);
  auto name = DecodeColumnDef(packets[2].payload, false);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->name, "name");
  EXPECT_EQ(name->type, kTypeVarString);
  EXPECT_EQ(name->charset, kCharsetUtf8mb4GeneralCi);
  EXPECT_EQ(name->length, 80u);
  for (const auto& p : {packets[1].payload, packets[2].payload}) {
    auto col = DecodeColumnDef(p, false);
    ASSERT_TRUE(col.ok());
    EXPECT_EQ(EncodeColumnDef(*col, false), p);
    for (size_t cut = 0; cut < p.size(); ++cut) {
      EXPECT_FALSE(DecodeColumnDef(p.substr(0, cut), false).ok()) << cut;
    }
    // MariaDB's extended metadata: one more (here empty) block after the column name.
    std::string extended = EncodeColumnDef(*col, true);
    EXPECT_EQ(extended.size(), p.size() + 1);
    auto back = DecodeColumnDef(extended, true);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(EncodeColumnDef(*back, false), p);
  }
}

TEST(ResultSetTest, DecodesFieldListDefsWithDefaultTrailer) {
  auto packets = SplitPackets(LoadCapture("field_list").bytes);
  auto id = DecodeColumnDef(packets[0].payload, false);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->name, "id");
  auto name = DecodeColumnDef(packets[1].payload, false);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->name, "name");
}

// Rebuild MariaDB's answer to "SELECT id, name FROM t ORDER BY id" with our encoder.
std::string Rebuild(const std::string& captured, uint32_t caps) {
  auto packets = SplitPackets(captured);
  std::vector<ColumnDef> cols = {*DecodeColumnDef(packets[1].payload, false),
                                 *DecodeColumnDef(packets[2].payload, false)};
  std::vector<Row> rows = {
      {"1", "alpha"}, {"2", "beta"}, {"3", std::nullopt}, {"4", "delta"}, {"5", "epsilon"}};
  std::string out;
  uint8_t seq = 1;
  AppendTextResultSet(&out, &seq, cols, rows, caps, 0,
                      kServerStatusAutocommit | kServerQueryNoIndexUsed);
  return out;
}

TEST(ResultSetTest, TextResultSetMatchesMariaDb) {
  auto classic = LoadCapture("text_resultset");
  EXPECT_EQ(Rebuild(classic.bytes, classic.caps), classic.bytes);
  auto deof = LoadCapture("text_resultset_deof");
  ASSERT_TRUE(deof.caps & kClientDeprecateEof);
  EXPECT_EQ(Rebuild(deof.bytes, deof.caps), deof.bytes);
}

TEST(ResultSetTest, ScannerAcceptsOwnResultSets) {
  for (uint32_t caps : {kClientProtocol41, kClientProtocol41 | kClientDeprecateEof}) {
    std::vector<ColumnDef> cols(3);
    cols[0].name = "a";
    cols[1].name = "b";
    cols[2].name = "c";
    std::vector<Row> rows;
    for (int i = 0; i < 50; ++i) rows.push_back({std::to_string(i), std::nullopt, ""});
    std::string out;
    uint8_t seq = 1;
    AppendTextResultSet(&out, &seq, cols, rows, caps, 0, kServerStatusInTrans);
    AppendOk(&out, &seq, OkPacket{}, caps);  // must not be consumed
    ResponseScanner scanner(caps, ResponseKind::kGeneric);
    auto n = scanner.Feed(out);
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(scanner.done());
    EXPECT_EQ(*n, out.size() - 11);
    EXPECT_EQ(scanner.final_status_flags(), kServerStatusInTrans);
  }
}

TEST(ResultSetTest, AppendOkAndErrFrame) {
  std::string out;
  uint8_t seq = 3;
  AppendOk(&out, &seq, OkPacket{1, 2, kServerStatusAutocommit, 0, ""}, kClientProtocol41);
  AppendErr(&out, &seq, ErrPacket{1045, "28000", "Access denied"});
  EXPECT_EQ(seq, 5);
  auto packets = SplitPackets(out);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].seq, 3);
  EXPECT_EQ(packets[1].seq, 4);
  EXPECT_EQ(DecodeOk(packets[0].payload, kClientProtocol41)->last_insert_id, 2u);
  EXPECT_EQ(DecodeErr(packets[1].payload)->sql_state, "28000");
}

}  // namespace
}  // namespace obp::mysql
