#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxyd/sql/classify.h"
#include "tests/unit/sql/variants.h"

namespace obp::sql {
namespace {

using Scope = SetItem::Scope;

struct Want {
  Scope scope;
  std::string name;
  std::string value;
  std::string collation = "";
};

void ExpectItems(absl::string_view text, const std::vector<Want>& want) {
  SCOPED_TRACE(std::string(text));
  auto r = ParseSet(text);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*r)[i].scope, want[i].scope);
    EXPECT_EQ((*r)[i].name, want[i].name);
    EXPECT_EQ((*r)[i].value, want[i].value);
    EXPECT_EQ((*r)[i].collation, want[i].collation);
  }
}

TEST(ParseSetTest, BriefExample) {
  ExpectItems("SET a=1, @@session.b = 'x,y', SESSION c = f(1,2), NAMES utf8mb4 COLLATE utf8mb4_bin",
              {{Scope::kSession, "a", "1"},
               {Scope::kSession, "b", "'x,y'"},
               {Scope::kSession, "c", "f(1,2)"},
               {Scope::kNames, "", "utf8mb4", "utf8mb4_bin"}});
}

TEST(ParseSetTest, Scopes) {
  ExpectItems("SET autocommit=0", {{Scope::kSession, "autocommit", "0"}});
  ExpectItems("set AutoCommit = 0 ;", {{Scope::kSession, "autocommit", "0"}});
  ExpectItems("SET @@autocommit=1", {{Scope::kSession, "autocommit", "1"}});
  ExpectItems("SET @@SESSION.sql_mode='ANSI'", {{Scope::kSession, "sql_mode", "'ANSI'"}});
  ExpectItems("SET @@local.sql_mode=''", {{Scope::kSession, "sql_mode", "''"}});
  ExpectItems("SET @@Global.max_connections=10", {{Scope::kGlobal, "max_connections", "10"}});
  ExpectItems("SET GLOBAL max_connections=10", {{Scope::kGlobal, "max_connections", "10"}});
  ExpectItems("SET LOCAL x=1", {{Scope::kSession, "x", "1"}});
  ExpectItems("SET session x := 1", {{Scope::kSession, "x", "1"}});
  ExpectItems("SET @@session.`sql_mode`=''", {{Scope::kSession, "sql_mode", "''"}});
  ExpectItems("SET `SQL_MODE`=''", {{Scope::kSession, "sql_mode", "''"}});
  ExpectItems("SET @@global.cache1.key_buffer_size=1",
              {{Scope::kGlobal, "cache1.key_buffer_size", "1"}});
  ExpectItems("SET GLOBAL cache1.key_buffer_size=1",
              {{Scope::kGlobal, "cache1.key_buffer_size", "1"}});
}

TEST(ParseSetTest, ScopeKeywordCarriesOverButAtAtDoesNot) {
  // MariaDB 10.11: SET GLOBAL a=1, b=2 sets both globally; @@global.a doesn't carry.
  ExpectItems("SET GLOBAL a=1, b=2, SESSION c=3, d=4, @@global.e=5, f=6",
              {{Scope::kGlobal, "a", "1"},
               {Scope::kGlobal, "b", "2"},
               {Scope::kSession, "c", "3"},
               {Scope::kSession, "d", "4"},
               {Scope::kGlobal, "e", "5"},
               {Scope::kSession, "f", "6"}});
  ExpectItems("SET @@global.a=1, b=2", {{Scope::kGlobal, "a", "1"}, {Scope::kSession, "b", "2"}});
}

TEST(ParseSetTest, UserVariables) {
  ExpectItems("SET @x = 1", {{Scope::kUserVar, "x", "1"}});
  ExpectItems("SET @X:=1, @y = @x + 1",
              {{Scope::kUserVar, "x", "1"}, {Scope::kUserVar, "y", "@x + 1"}});
  ExpectItems("SET @'my var' = 'a'", {{Scope::kUserVar, "my var", "'a'"}});
  ExpectItems("SET @\"q\" = 2", {{Scope::kUserVar, "q", "2"}});
  ExpectItems("SET @`b``t` = 3", {{Scope::kUserVar, "b`t", "3"}});
  ExpectItems("SET @a.b = 3", {{Scope::kUserVar, "a.b", "3"}});
  ExpectItems("SET @total = (SELECT SUM(x), 1 FROM t WHERE y IN (1, 2))",
              {{Scope::kUserVar, "total", "(SELECT SUM(x), 1 FROM t WHERE y IN (1, 2))"}});
}

TEST(ParseSetTest, ValuesKeepTheirTextAndSplitOnlyAtTopLevelCommas) {
  ExpectItems("SET a = 'x,y', b = \"p,(q\", c = `we,ird`", {{Scope::kSession, "a", "'x,y'"},
                                                            {Scope::kSession, "b", "\"p,(q\""},
                                                            {Scope::kSession, "c", "`we,ird`"}});
  ExpectItems(
      "SET a = f(g(1, 2), (3, 4)) , b=CONCAT('a', 'b')",
      {{Scope::kSession, "a", "f(g(1, 2), (3, 4))"}, {Scope::kSession, "b", "CONCAT('a', 'b')"}});
  ExpectItems("SET a = 'it''s, \\'x\\', y'", {{Scope::kSession, "a", "'it''s, \\'x\\', y'"}});
  ExpectItems("SET a = 1 /* , b = 2 */ , c = 3 -- , d = 4\n",
              {{Scope::kSession, "a", "1"}, {Scope::kSession, "c", "3"}});
  ExpectItems("SET a = 1 /* keep */ + 2 # tail\n;", {{Scope::kSession, "a", "1 /* keep */ + 2"}});
  ExpectItems("SET sql_mode = DEFAULT", {{Scope::kSession, "sql_mode", "DEFAULT"}});
  ExpectItems("SET a = -1.5e3", {{Scope::kSession, "a", "-1.5e3"}});
  ExpectItems("SET a = b = c", {{Scope::kSession, "a", "b = c"}});
}

TEST(ParseSetTest, NamesAndCharset) {
  ExpectItems("SET NAMES utf8mb4", {{Scope::kNames, "", "utf8mb4"}});
  ExpectItems("SET NAMES 'utf8' COLLATE 'utf8_bin', @a=1",
              {{Scope::kNames, "", "utf8", "utf8_bin"}, {Scope::kUserVar, "a", "1"}});
  ExpectItems("set names \"latin1\" collate latin1_swedish_ci;",
              {{Scope::kNames, "", "latin1", "latin1_swedish_ci"}});
  ExpectItems("SET NAMES DEFAULT", {{Scope::kNames, "", "DEFAULT"}});
  ExpectItems("SET autocommit=1, NAMES binary",
              {{Scope::kSession, "autocommit", "1"}, {Scope::kNames, "", "binary"}});
  ExpectItems("SET CHARACTER SET utf8", {{Scope::kCharset, "", "utf8"}});
  ExpectItems("SET character  /* x */ set 'latin1', @b=2",
              {{Scope::kCharset, "", "latin1"}, {Scope::kUserVar, "b", "2"}});
  ExpectItems("SET CHARSET DEFAULT", {{Scope::kCharset, "", "DEFAULT"}});
  ExpectItems("SET character_set_client = utf8",
              {{Scope::kSession, "character_set_client", "utf8"}});
}

TEST(ParseSetTest, WholeStatementForms) {
  ExpectItems("SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY;",
              {{Scope::kTransaction, "next", "ISOLATION LEVEL READ COMMITTED, READ ONLY"}});
  ExpectItems("SET SESSION TRANSACTION READ WRITE",
              {{Scope::kTransaction, "session", "READ WRITE"}});
  ExpectItems("SET local TRANSACTION READ WRITE", {{Scope::kTransaction, "session", "READ WRITE"}});
  ExpectItems("SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE",
              {{Scope::kTransaction, "global", "ISOLATION LEVEL SERIALIZABLE"}});
  ExpectItems("SET PASSWORD = PASSWORD('x')", {{Scope::kPassword, "password", "= PASSWORD('x')"}});
  ExpectItems("SET PASSWORD FOR 'u'@'%' = 'h'",
              {{Scope::kPassword, "password", "FOR 'u'@'%' = 'h'"}});
  ExpectItems("SET ROLE admin", {{Scope::kOther, "role", "admin"}});
  ExpectItems("SET DEFAULT ROLE NONE FOR u", {{Scope::kOther, "default role", "NONE FOR u"}});
  ExpectItems("SET STATEMENT max_statement_time=1 FOR SELECT 1",
              {{Scope::kOther, "statement", "max_statement_time=1 FOR SELECT 1"}});
}

TEST(ParseSetTest, ExecutableComments) {
  ExpectItems("/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
              {{Scope::kUserVar, "old_character_set_client", "@@CHARACTER_SET_CLIENT"}});
  ExpectItems("/*!40101 SET NAMES utf8mb4 */", {{Scope::kNames, "", "utf8mb4"}});
  ExpectItems("SET /*!50000 @@session.x = 1, */ y = 2",
              {{Scope::kSession, "x", "1"}, {Scope::kSession, "y", "2"}});
}

TEST(ParseSetTest, EverySpelling) {
  using testing::Piece;
  const std::vector<Piece> pieces = {
      {"SET", true},          {"@@session.sql_mode", false},
      {"=", false},           {"'a,b'", false},
      {",", false},           {"NAMES", true},
      {"utf8mb4", false},     {"COLLATE", true},
      {"utf8mb4_bin", false}, {",", false},
      {"GLOBAL", true},       {"x", false},
      {":=", false},          {"f", false},
      {"(", false},           {"1", false},
      {",", false},           {"(", false},
      {"2", false},           {")", false},
      {")", false},           {",", false},
      {"y", false},           {"=", false},
      {"3", false},
  };
  for (const std::string& text : testing::Spellings(pieces)) {
    SCOPED_TRACE(text);
    auto r = ParseSet(text);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ((*r)[0].scope, Scope::kSession);
    EXPECT_EQ((*r)[0].name, "sql_mode");
    EXPECT_EQ((*r)[0].value, "'a,b'");
    EXPECT_EQ((*r)[1].scope, Scope::kNames);
    EXPECT_EQ((*r)[1].value, "utf8mb4");
    EXPECT_EQ((*r)[1].collation, "utf8mb4_bin");
    EXPECT_EQ((*r)[2].scope, Scope::kGlobal);
    EXPECT_EQ((*r)[2].name, "x");
    EXPECT_EQ((*r)[2].value.front(), 'f');
    EXPECT_EQ((*r)[2].value.back(), ')');
    EXPECT_EQ((*r)[3].scope, Scope::kGlobal);  // GLOBAL carries over
    EXPECT_EQ((*r)[3].value, "3");
  }
}

TEST(ParseSetTest, Malformed) {
  for (const char* text : {"SET",
                           "SET ;",
                           "SET a",
                           "SET a =",
                           "SET a = ;",
                           "SET a = 1,",
                           "SET a = 1,, b = 2",
                           "SET = 1",
                           "SET a = (1",
                           "SET a = 1)",
                           "SET a = 'x",
                           "SET @'x = 1",
                           "SET a = 1; SET b = 2",
                           "SET a = 1;;",
                           "SET NAMES",
                           "SET NAMES utf8 COLLATE",
                           "SET NAMES (x)",
                           "SET CHARACTER SET",
                           "SET GLOBAL",
                           "SET GLOBAL = 1",
                           "SET @@ = 1",
                           "SET TRANSACTION",
                           "SET PASSWORD",
                           "SET a.b.c = 1",
                           "SELECT 1",
                           "SET 1 = 2",
                           "SET a 1"}) {
    SCOPED_TRACE(text);
    auto r = ParseSet(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find("cannot parse SET"), std::string::npos);
  }
}

}  // namespace
}  // namespace obp::sql

namespace obp::sql {
namespace {

TEST(TransactionVariablesTest, CharacteristicsBecomeTheirVariables) {
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(*TransactionVariables("ISOLATION LEVEL READ COMMITTED, READ ONLY"),
            (Vars{{"tx_isolation", "'READ-COMMITTED'"}, {"tx_read_only", "1"}}));
  EXPECT_EQ(*TransactionVariables("read write, isolation level repeatable read"),
            (Vars{{"tx_read_only", "0"}, {"tx_isolation", "'REPEATABLE-READ'"}}));
  EXPECT_EQ(*TransactionVariables("ISOLATION LEVEL SERIALIZABLE"),
            (Vars{{"tx_isolation", "'SERIALIZABLE'"}}));
  EXPECT_EQ(*TransactionVariables("ISOLATION LEVEL READ UNCOMMITTED"),
            (Vars{{"tx_isolation", "'READ-UNCOMMITTED'"}}));
  for (absl::string_view bad :
       {"", "ISOLATION LEVEL", "ISOLATION LEVEL READ", "READ", "READ ONLY READ WRITE",
        "WITH CONSISTENT SNAPSHOT", "ISOLATION LEVEL SERIALIZABLE,"}) {
    EXPECT_FALSE(TransactionVariables(bad).ok()) << bad;
  }
}

TEST(IsConstantExpressionTest, LiteralsAreConstant) {
  for (const char* e : {"1", "-5", "1.5e3", "0x0A", "'abc'", "\"x\"", "NULL", "TRUE", "false",
                        "X'0A'", "b'01'", "N'text'", "_utf8mb4'x' COLLATE utf8mb4_bin",
                        "1 + 2 * 3", "'a' 'b'", "/* note */ 7"}) {
    EXPECT_TRUE(IsConstantExpression(e)) << e;
  }
}

TEST(IsConstantExpressionTest, AnythingEvaluatedIsNot) {
  for (const char* e : {"NOW()", "NOW(6)", "CURRENT_TIMESTAMP", "RAND()", "@other", "@@max_allowed_packet",
                        "@@session.sql_mode", "(SELECT 1)", "CONCAT('a', 'b')", "CONNECTION_ID()",
                        "`col`", "unknown_word", "'unterminated", "1 + @x", "UUID()"}) {
    EXPECT_FALSE(IsConstantExpression(e)) << e;
  }
}

}  // namespace
}  // namespace obp::sql
