// COM_STMT_* payload helpers.
#include "proxyd/mysql/stmt_execute.h"

#include <gtest/gtest.h>

#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {
namespace {

// COM_STMT_EXECUTE with `n` INT parameters; with or without the type block.
std::string Execute(uint32_t id, uint8_t flags, uint16_t n, bool bound) {
  std::string p;
  Writer w(&p);
  w.U8(static_cast<uint8_t>(Command::kStmtExecute));
  w.U32(id);
  w.U8(flags);
  w.U32(1);
  if (n == 0) return p;
  w.Zeros((n + 7) / 8);
  w.U8(bound ? 1 : 0);
  if (bound) {
    for (uint16_t i = 0; i < n; ++i) w.U16(kTypeLong);
  }
  for (uint16_t i = 0; i < n; ++i) w.U32(100 + i);
  return p;
}

TEST(StmtExecuteTest, ParsesHeader) {
  auto h = ParseStmtExecuteHeader(Execute(0x01020304, kCursorTypeReadOnly, 2, true));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stmt_id, 0x01020304u);
  EXPECT_EQ(h->flags, kCursorTypeReadOnly);
  EXPECT_EQ(h->iterations, 1u);
  std::string p = Execute(1, 0, 0, false);
  for (size_t cut = 0; cut < p.size(); ++cut) {
    EXPECT_FALSE(ParseStmtExecuteHeader(p.substr(0, cut)).ok()) << cut;
  }
  std::string fetch = "\x1c\x01\x00\x00\x00\x02\x00\x00\x00";
  EXPECT_FALSE(ParseStmtExecuteHeader(fetch).ok());
}

TEST(StmtExecuteTest, RewritesStmtIdOfAllStmtCommands) {
  for (uint8_t cmd : {0x17, 0x18, 0x19, 0x1a, 0x1c}) {
    std::string p = std::string(1, static_cast<char>(cmd)) + std::string("\x01\x00\x00\x00xyz", 7);
    RewriteStmtId(&p, 0xA1B2C3D4);
    EXPECT_EQ(p.size(), 8u);
    EXPECT_EQ(static_cast<uint8_t>(p[0]), cmd);
    EXPECT_EQ(*ParseStmtId(p), 0xA1B2C3D4u);
    EXPECT_EQ(p.substr(5), "xyz");
  }
  std::string tiny = "\x19\x01";
  RewriteStmtId(&tiny, 5);  // too short: left alone
  EXPECT_EQ(tiny, "\x19\x01");
  EXPECT_FALSE(ParseStmtId(tiny).ok());
}

TEST(StmtExecuteTest, ParamTypes) {
  std::string bound = Execute(7, 0, 9, true);  // 2-byte null bitmap
  std::string unbound = Execute(7, 0, 9, false);
  EXPECT_TRUE(*NewParamsBound(bound, 9));
  EXPECT_FALSE(*NewParamsBound(unbound, 9));
  EXPECT_FALSE(*NewParamsBound(Execute(7, 0, 0, false), 0));
  auto types = ExtractParamTypes(bound, 9);
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(types->size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>((*types)[0]), kTypeLong);
  EXPECT_EQ(*ExtractParamTypes(unbound, 9), "");

  auto injected = InjectParamTypes(unbound, 9, *types);
  ASSERT_TRUE(injected.ok());
  EXPECT_EQ(*injected, bound);
  EXPECT_EQ(*InjectParamTypes(bound, 9, *types), bound);  // already bound: unchanged
  EXPECT_FALSE(InjectParamTypes(unbound, 9, "xx").ok());
}

TEST(StmtExecuteTest, BulkTypesAreExtractedAndInjected) {
  // 0xFA, stmt_id 7, flags, [types], one row of two parameters (indicators NONE).
  auto bulk = [](uint16_t flags, absl::string_view types) {
    std::string p("\xfa\x07\x00\x00\x00", 5);
    p.push_back(static_cast<char>(flags & 0xFF));
    p.push_back(static_cast<char>(flags >> 8));
    p.append(types.data(), types.size());
    p.append(std::string("\x00\x05\x00\x00\x00\x00\x06\x00\x00\x00", 10));
    return p;
  };
  const std::string types("\x03\x00\x03\x80", 4);
  std::string with = bulk(kBulkSendTypes, types);
  std::string without = bulk(0, "");
  EXPECT_EQ(*ParseBulkFlags(with), kBulkSendTypes);
  EXPECT_EQ(*ExtractBulkParamTypes(with, 2), types);
  EXPECT_EQ(*ExtractBulkParamTypes(without, 2), "");
  EXPECT_EQ(*InjectBulkParamTypes(without, 2, types), with);
  EXPECT_EQ(*InjectBulkParamTypes(with, 2, types), with);  // already there: unchanged
  EXPECT_FALSE(InjectBulkParamTypes(without, 2, "xx").ok());
  for (size_t cut = 0; cut < 7; ++cut) EXPECT_FALSE(ParseBulkFlags(with.substr(0, cut)).ok());
  EXPECT_FALSE(ExtractBulkParamTypes(with.substr(0, 9), 2).ok());
  EXPECT_FALSE(ParseBulkFlags(Execute(7, 0, 3, true)).ok());
}

TEST(StmtExecuteTest, TruncatedParamBlocksFail) {
  std::string bound = Execute(7, 0, 3, true);
  const size_t flag_at = 10 + 1;
  for (size_t cut = 0; cut <= flag_at; ++cut) {
    EXPECT_FALSE(NewParamsBound(bound.substr(0, cut), 3).ok()) << cut;
  }
  for (size_t cut = flag_at + 1; cut < flag_at + 1 + 6; ++cut) {
    EXPECT_FALSE(ExtractParamTypes(bound.substr(0, cut), 3).ok()) << cut;
  }
  EXPECT_FALSE(NewParamsBound("\x16SELECT 1", 1).ok());
}

}  // namespace
}  // namespace obp::mysql
