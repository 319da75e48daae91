#include "proxyd/session/user_var_value.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/session/session_state.h"
#include "proxyd/sql/classify.h"

namespace obp::session {
namespace {

// One variable's four columns of UserVarQuery's reply: value, CHARSET(), COLLATION(), HEX();
// the value of a string as the connection's character set has it.
struct Reply {
  std::vector<mysql::ColumnDef> columns;
  mysql::Row row;
};
Reply One(uint8_t type, std::optional<std::string> value, std::string charset = "binary",
          std::string collation = "binary", std::optional<std::string> hex = std::nullopt) {
  Reply r;
  mysql::ColumnDef v;
  v.type = type;
  mysql::ColumnDef text;
  text.type = mysql::kTypeVarString;
  r.columns = {v, text, text, text};
  if (!hex && value) hex = absl::BytesToHexString(*value);
  r.row = {std::move(value), std::move(charset), std::move(collation), std::move(hex)};
  return r;
}

std::string LiteralOf(const Reply& r) {
  absl::StatusOr<std::string> lit = UserVarLiteral(r.columns, r.row, 0);
  EXPECT_TRUE(lit.ok()) << lit.status();
  if (!lit.ok()) return "";
  // What proxyd keeps is replayed exactly, not reported after a lost connection.
  EXPECT_TRUE(sql::IsConstantExpression(*lit)) << *lit;
  return *lit;
}

TEST(UserVarValue, QueryAsksValueCharsetAndCollationOfEach) {
  EXPECT_EQ(UserVarQuery({"@t", "@odd name"}),
            "SELECT @t, CHARSET(@t), COLLATION(@t), HEX(@t), @`odd name`, CHARSET(@`odd name`), "
            "COLLATION(@`odd name`), HEX(@`odd name`)");
}

TEST(UserVarValue, NamesThatAreNoPlainIdentifierAreQuoted) {
  EXPECT_EQ(UserVarRef("@a.b_$1"), "@a.b_$1");
  EXPECT_EQ(UserVarRef("@odd name"), "@`odd name`");
  EXPECT_EQ(UserVarRef("@a`b"), "@`a``b`");
  EXPECT_EQ(UserVarRef("@caf\xc3\xa9"), "@`caf\xc3\xa9`");
}

TEST(UserVarValue, NumbersKeepTheirType) {
  EXPECT_EQ(LiteralOf(One(mysql::kTypeLongLong, "-42")), "-42");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeLongLong, "18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeNewDecimal, "3.00")), "3.00");
  // A double gets an exponent, or MariaDB would read the digits as a decimal.
  EXPECT_EQ(LiteralOf(One(mysql::kTypeDouble, "0.30000000000000004")), "0.30000000000000004e0");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeDouble, "1e+301")), "1e+301");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeDouble, "-1.5e-07")), "-1.5e-07");
}

TEST(UserVarValue, StringsKeepBytesCharsetAndCollation) {
  // 'café' in latin1, sent as utf8mb4: the variable's own bytes are HEX()'s.
  EXPECT_EQ(LiteralOf(One(mysql::kTypeLongBlob, "caf\xC3\xA9", "latin1", "latin1_german1_ci",
                          "636166E9")),
            "_latin1 X'636166E9' COLLATE latin1_german1_ci");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeLongBlob, std::string("\0\xff", 2))), "_binary X'00ff'");
  EXPECT_EQ(LiteralOf(One(mysql::kTypeVarString, "", "utf8mb4", "utf8mb4_bin")),
            "_utf8mb4 X'' COLLATE utf8mb4_bin");
}

TEST(UserVarValue, NullIsNull) {
  EXPECT_EQ(LiteralOf(One(mysql::kTypeLongBlob, std::nullopt)), "NULL");
}

TEST(UserVarValue, AReplyThatIsNotMariaDbsIsRefused) {
  const Reply bad[] = {
      One(mysql::kTypeLongLong, "1; DROP TABLE t"),
      One(mysql::kTypeLongLong, "-"),
      One(mysql::kTypeNewDecimal, "1.2.3"),
      One(mysql::kTypeDouble, "inf"),
      One(mysql::kTypeDouble, "1e"),
      One(mysql::kTypeDouble, "0x10"),
      One(mysql::kTypeLongBlob, "x", "utf8mb4", "utf8mb4_bin' OR '1"),
      One(mysql::kTypeLongBlob, "x", "utf8mb4", ""),
      One(mysql::kTypeLongBlob, "x", "utf8mb4", "utf8mb4_bin", "7"),
      One(mysql::kTypeLongBlob, "x", "utf8mb4", "utf8mb4_bin", "7G"),
      One(mysql::kTypeLongBlob, "x", "utf8mb4", "utf8mb4_bin", "78' OR '1"),
      One(mysql::kTypeDateTime, "2026-12-01 00:00:00"),
  };
  for (const Reply& r : bad) {
    EXPECT_FALSE(UserVarLiteral(r.columns, r.row, 0).ok()) << *r.row[0];
  }
  Reply one = One(mysql::kTypeLongLong, "1");
  EXPECT_FALSE(UserVarLiteral(one.columns, one.row, 1).ok());  // no second variable
  one.row.pop_back();
  EXPECT_FALSE(UserVarLiteral(one.columns, one.row, 0).ok());  // columns and row disagree
}

}  // namespace
}  // namespace obp::session
