// sql::ScanHeldState: what a statement leaves behind that a new connection
// could not rebuild.
#include "proxyd/sql/held_state.h"

#include <gtest/gtest.h>

namespace obp::sql {
namespace {

uint8_t Adds(absl::string_view sql) { return ScanHeldState(sql).adds; }
uint8_t Clears(absl::string_view sql) { return ScanHeldState(sql).clears; }

TEST(HeldState, TemporaryTablesAreHeld) {
  EXPECT_EQ(Adds("CREATE TEMPORARY TABLE t (x INT)"), kHeldTempTables);
  EXPECT_EQ(Adds("create or replace temporary table t select 1"), kHeldTempTables);
  EXPECT_EQ(Adds("/* app */ CREATE /*!32302 TEMPORARY */ TABLE t (x INT)"), kHeldTempTables);
  EXPECT_EQ(Adds("SELECT 1; CREATE TEMPORARY TABLE t (x INT)"), kHeldTempTables);
  EXPECT_EQ(Adds("DROP TEMPORARY TABLE t"), 0);
  EXPECT_EQ(Adds("CREATE TABLE temporary_things (x INT)"), 0);
  EXPECT_EQ(Adds("SELECT 'CREATE TEMPORARY TABLE t'"), 0);
}

TEST(HeldState, NamedLocksAreHeldUntilAllAreReleased) {
  EXPECT_EQ(Adds("SELECT GET_LOCK('job', 10)"), kHeldNamedLocks);
  EXPECT_EQ(Adds("select get_lock ('job', 10)"), kHeldNamedLocks);
  EXPECT_EQ(Adds("SELECT RELEASE_LOCK('job')"), 0);
  EXPECT_EQ(Clears("SELECT RELEASE_LOCK('job')"), 0);
  EXPECT_EQ(Clears("SELECT RELEASE_ALL_LOCKS()"), kHeldNamedLocks);
  EXPECT_EQ(Adds("SELECT GET_LOCK('a', 1), RELEASE_ALL_LOCKS()"), 0);
  // The last word wins: a lock taken after a release is held.
  EXPECT_EQ(Adds("SELECT RELEASE_ALL_LOCKS(); SELECT GET_LOCK('a', 1)"), kHeldNamedLocks);
  EXPECT_EQ(Clears("SELECT RELEASE_ALL_LOCKS(); SELECT GET_LOCK('a', 1)"), 0);
  EXPECT_EQ(Adds("SELECT get_lock FROM t"), 0);  // a column of that name
  EXPECT_EQ(Adds("SELECT `GET_LOCK`('x', 1)"), 0);  // a quoted name is no call of it
}

TEST(HeldState, UserVariablesAssignedOutsideSetAreHeld) {
  EXPECT_EQ(Adds("SELECT @rownum := 0"), kHeldUserVars);
  EXPECT_EQ(Adds("SELECT x, @n := @n + 1 FROM t"), kHeldUserVars);
  EXPECT_EQ(Adds("SELECT COUNT(*) INTO @c FROM t"), kHeldUserVars);
  EXPECT_EQ(Adds("select max(id) into @`m` from t"), kHeldUserVars);
  EXPECT_EQ(Adds("CALL p(1, @out)"), kHeldUserVars);
  EXPECT_EQ(Adds("SELECT 1; SELECT @a := 2"), kHeldUserVars);
  // SET is replayed (its values are tracked), reading a variable assigns nothing,
  // and neither do system variables or text that only looks like an assignment.
  EXPECT_EQ(Adds("SET @a := 1"), 0);
  EXPECT_EQ(Adds("SET @a = 1, @b := 2"), 0);
  EXPECT_EQ(Adds("SELECT @a, @b"), 0);
  EXPECT_EQ(Adds("SELECT @a = 1"), 0);  // a comparison
  EXPECT_EQ(Adds("INSERT INTO t VALUES (@a)"), 0);
  EXPECT_EQ(Adds("SELECT @@max_allowed_packet INTO x"), 0);
  EXPECT_EQ(Adds("SELECT '@a := 1'"), 0);
  EXPECT_EQ(Adds("SET @a = 1; SELECT @a"), 0);
}

TEST(HeldState, TableLocksAreHeldUntilUnlockTables) {
  EXPECT_EQ(Adds("LOCK TABLES t READ"), kHeldTableLocks);
  EXPECT_EQ(Adds("lock table t write, u read"), kHeldTableLocks);
  EXPECT_EQ(Clears("UNLOCK TABLES"), kHeldTableLocks);
  EXPECT_EQ(Adds("UNLOCK TABLES"), 0);
  EXPECT_EQ(Adds("LOCK TABLES t READ; UNLOCK TABLES"), 0);
  EXPECT_EQ(Clears("LOCK TABLES t READ; UNLOCK TABLES"), kHeldTableLocks);
  EXPECT_EQ(Adds("UNLOCK TABLES; LOCK TABLES t READ"), kHeldTableLocks);
  EXPECT_EQ(Clears("UNLOCK TABLES; LOCK TABLES t READ"), 0);
  EXPECT_EQ(Adds("SELECT * FROM t LOCK IN SHARE MODE"), 0);
  EXPECT_EQ(Adds("SELECT * FROM t FOR UPDATE"), 0);
}

TEST(HeldState, OrdinaryStatementsHoldNothing) {
  for (absl::string_view sql : {"SELECT 1", "INSERT INTO t VALUES (1)", "SET @x = 1",
                                "SELECT 'lock tables' AS s", "", "SELECT 'unterminated"}) {
    EXPECT_TRUE(ScanHeldState(sql).empty()) << sql;
  }
}

TEST(HeldState, Describe) {
  EXPECT_EQ(DescribeHeld(0), "");
  EXPECT_EQ(DescribeHeld(kHeldTempTables | kHeldTableLocks),
            "temporary tables, table locks (LOCK TABLES)");
}

}  // namespace
}  // namespace obp::sql
