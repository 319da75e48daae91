#include "proxyd/sql/classify.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/sql/variants.h"

namespace obp::sql {
namespace {

using testing::Spellings;
using testing::Words;

struct ClassCase {
  std::string spaced;
  StmtKind kind;
};

TEST(ClassifyTest, KindsInEverySpelling) {
  const std::vector<ClassCase> cases = {
      {"SELECT 1", StmtKind::kOther},
      {"INSERT INTO t VALUES ( 1 )", StmtKind::kOther},
      {"USE db1", StmtKind::kUse},
      {"USE `my db`", StmtKind::kUse},
      {"SET autocommit = 0", StmtKind::kSet},
      {"SET NAMES utf8mb4", StmtKind::kSet},
      {"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", StmtKind::kSet},
      {"SET STATEMENT max_statement_time = 1 FOR SELECT 1", StmtKind::kOther},
      {"BEGIN", StmtKind::kBegin},
      {"BEGIN WORK", StmtKind::kBegin},
      {"BEGIN NOT ATOMIC SELECT 1 ; END", StmtKind::kOther},
      {"START TRANSACTION", StmtKind::kBegin},
      {"START TRANSACTION READ ONLY", StmtKind::kBegin},
      {"START TRANSACTION WITH CONSISTENT SNAPSHOT , READ WRITE", StmtKind::kBegin},
      {"START SLAVE", StmtKind::kOther},
      {"COMMIT", StmtKind::kCommit},
      {"COMMIT WORK", StmtKind::kCommit},
      {"COMMIT AND NO CHAIN NO RELEASE", StmtKind::kCommit},
      {"ROLLBACK", StmtKind::kRollback},
      {"ROLLBACK WORK", StmtKind::kRollback},
      {"ROLLBACK AND CHAIN", StmtKind::kRollback},
      {"ROLLBACK TO sp1", StmtKind::kOther},
      {"ROLLBACK TO SAVEPOINT sp1", StmtKind::kOther},
      {"ROLLBACK WORK TO SAVEPOINT sp1", StmtKind::kOther},
      {"SHOW PROXYSESSION", StmtKind::kProxyAdmin},
      {"SHOW PROXYSESSION ATTRIBUTE 5", StmtKind::kProxyAdmin},
      {"SHOW PROCESSLIST", StmtKind::kOther},
      {"SHOW VARIABLES", StmtKind::kOther},
      {"KILL 5", StmtKind::kProxyAdmin},
      {"KILL QUERY 5", StmtKind::kProxyAdmin},
      {"KILL PROXYSESSION 1 2", StmtKind::kProxyAdmin},
      {"XA START 'x'", StmtKind::kOther},
      {"SAVEPOINT sp1", StmtKind::kOther},
      {"RELEASE SAVEPOINT sp1", StmtKind::kOther},
      {"DROP DATABASE d1", StmtKind::kDropDatabase},
      {"DROP SCHEMA IF EXISTS d1", StmtKind::kDropDatabase},
      {"DROP TABLE t1", StmtKind::kOther},
      {"DROP USER u1", StmtKind::kOther},
  };
  for (const ClassCase& c : cases) {
    for (const std::string& text : Spellings(Words(c.spaced))) {
      SCOPED_TRACE(text);
      EXPECT_EQ(Classify(text), c.kind);
    }
  }
}

TEST(ClassifyTest, OddInputs) {
  EXPECT_EQ(Classify(""), StmtKind::kOther);
  EXPECT_EQ(Classify(";"), StmtKind::kOther);
  EXPECT_EQ(Classify("(SELECT 1)"), StmtKind::kOther);
  EXPECT_EQ(Classify("`use` x"), StmtKind::kOther);
  EXPECT_EQ(Classify("USER"), StmtKind::kOther);
  EXPECT_EQ(Classify("SETTINGS"), StmtKind::kOther);
  EXPECT_EQ(Classify("committed"), StmtKind::kOther);
  EXPECT_EQ(Classify("/*!40101 SET NAMES utf8 */"), StmtKind::kSet);
  EXPECT_EQ(Classify("/*M!100101 SET NAMES utf8 */;"), StmtKind::kSet);
  EXPECT_EQ(Classify("/*!BEGIN*/"), StmtKind::kBegin);
  EXPECT_EQ(Classify("/* SET x=1 */ SELECT 1"), StmtKind::kOther);
  EXPECT_EQ(Classify("/*+ proxyd: backend=b */ COMMIT"), StmtKind::kCommit);
}

TEST(ParseUseTest, Names) {
  struct UseCase {
    std::string spaced;
    std::string db;
  };
  const std::vector<UseCase> cases = {
      {"USE db1", "db1"},          {"USE Db_1", "Db_1"},       {"USE `my db`", "my db"},
      {"USE `we``ird`", "we`ird"}, {"USE `select`", "select"}, {"USE $x", "$x"},
      {"USE 1db", "1db"},
  };
  for (const UseCase& c : cases) {
    // Keep the database name's case: only recase "USE".
    const std::vector<testing::Piece> pieces = {{"USE", true}, {c.spaced.substr(4), false}};
    for (const std::string& text : Spellings(pieces)) {
      SCOPED_TRACE(text);
      auto r = ParseUse(text);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(*r, c.db);
    }
  }
}

TEST(ParseUseTest, Malformed) {
  for (const char* text : {"USE", "USE ;", "USE a b", "USE 'db'", "USE \"db\"", "USE ``", "USE `db",
                           "USE a;;", "USE a; USE b", "USE 12", "SELECT 1", "USE @x", "USE a.b"}) {
    SCOPED_TRACE(text);
    auto r = ParseUse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find("expected: USE <database>"),
              std::string::npos);
  }
}

TEST(ParseDropDatabaseTest, NamesAndMalformed) {
  EXPECT_EQ(*ParseDropDatabase("DROP DATABASE d1"), "d1");
  EXPECT_EQ(*ParseDropDatabase("drop schema `my db`;"), "my db");
  EXPECT_EQ(*ParseDropDatabase("DROP DATABASE IF EXISTS Test_1"), "Test_1");
  EXPECT_EQ(*ParseDropDatabase("/* why */ DROP DATABASE if exists `we``ird`"), "we`ird");
  for (const char* text : {"DROP DATABASE", "DROP DATABASE IF d1", "DROP DATABASE a b",
                           "DROP TABLE t", "DROP DATABASE 'd'", "DROP DATABASE a; DROP DATABASE b",
                           "SELECT 1"}) {
    SCOPED_TRACE(text);
    auto r = ParseDropDatabase(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(LeavesNoSessionStateTest, PlainReadsLeaveNothing) {
  for (const char* text : {"SELECT 1", "select c from sbtest1 where id=42", "  SHOW TABLES",
                           "/* app */ SELECT a FROM t WHERE b = 'x' ORDER BY a LIMIT 5",
                           "SELECT * FROM t FOR UPDATE", "SHOW WARNINGS", "SELECT 'a', \"b\"",
                           "SELECT interval_col FROM t", "SELECT nextday FROM t"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(LeavesNoSessionState(text));
  }
}

TEST(LeavesNoSessionStateTest, AnythingThatMayChangeTheSessionSaysNo) {
  for (const char* text : {
           "SET @a = 1", "USE db", "INSERT INTO t VALUES (1)", "CREATE TEMPORARY TABLE t (a INT)",
           "BEGIN", "PREPARE s FROM 'SELECT 1'", "DO 1", "CALL p", "SELECT @a := 1",
           "SELECT @@sql_mode", "SELECT GET_LOCK('x', 0)", "SELECT f(1)", "SELECT 1 INTO @v",
           "SELECT a INTO OUTFILE '/tmp/x' FROM t", "SELECT SQL_CALC_FOUND_ROWS * FROM t",
           "SELECT NEXT VALUE FOR s", "SELECT PREVIOUS VALUE FOR s", "SELECT 1; SET @a = 2",
           "SELECT 1 /*! , GET_LOCK */", "/*!50000 SELECT 1 */", "SELECT a FROM t WHERE b = '('",
           "", "  ", "/* only a comment */", "SELECTX 1", "EXPLAIN SELECT 1"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(LeavesNoSessionState(text));
  }
}

}  // namespace
}  // namespace obp::sql
