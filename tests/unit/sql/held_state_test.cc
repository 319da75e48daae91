// sql::ScanHeldState: what a statement leaves behind that a new connection
// could not rebuild.
#include "proxyd/sql/held_state.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

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

std::vector<std::string> Assigned(absl::string_view sql) {
  return ScanHeldState(sql).assigned_vars;
}
using Names = std::vector<std::string>;

TEST(HeldState, UserVariablesAssignedOutsideSetAreNamed) {
  EXPECT_EQ(Assigned("SELECT @rownum := 0"), Names{"@rownum"});
  EXPECT_EQ(Assigned("SELECT x, @n := @n + 1 FROM t"), Names{"@n"});
  EXPECT_EQ(Assigned("SELECT COUNT(*) INTO @c FROM t"), Names{"@c"});
  EXPECT_EQ(Assigned("select max(id), min(id) into @`M`, @'lo' from t"), (Names{"@m", "@lo"}));
  EXPECT_EQ(Assigned("SELECT 1 INTO @a, x, @\"B\""), (Names{"@a", "@b"}));
  EXPECT_EQ(Assigned("CALL p(1, @out)"), Names{"@out"});
  EXPECT_EQ(Assigned("SELECT 1; SELECT @A := 2, @a := 3"), (Names{"@a", "@a"}));
  EXPECT_EQ(ScanHeldState("SELECT @a := 1").adds, 0);  // a name, not a held bit
  // SET is replayed (its values are tracked), reading a variable assigns nothing,
  // and neither do system variables or text that only looks like an assignment.
  for (absl::string_view sql :
       {"SET @a := 1", "SET @a = 1, @b := 2", "SELECT @a, @b", "SELECT @a = 1",
        "INSERT INTO t VALUES (@a)", "INSERT INTO t (a, b) VALUES (@a, @b)",
        "SELECT @@max_allowed_packet INTO x", "SELECT '@a := 1'", "SET @a = 1; SELECT @a",
        "SELECT 1 INTO @a FROM t WHERE x = @b"}) {
    Names want =
        absl::string_view(sql).find("INTO @a") != absl::string_view::npos ? Names{"@a"} : Names{};
    EXPECT_EQ(Assigned(sql), want) << sql;
  }
}

using Prepares = std::vector<std::pair<std::string, bool>>;

TEST(HeldState, SqlPreparedStatementsAreNamed) {
  EXPECT_EQ(ScanHeldState("PREPARE s FROM 'SELECT 1'").prepares, (Prepares{{"s", true}}));
  EXPECT_EQ(ScanHeldState("prepare `My Stmt` from @sql").prepares, (Prepares{{"my stmt", true}}));
  EXPECT_EQ(ScanHeldState("/* app */ PREPARE S1 FROM 'SELECT ?'").prepares,
            (Prepares{{"s1", true}}));
  EXPECT_EQ(ScanHeldState("DEALLOCATE PREPARE s; drop prepare `t`").prepares,
            (Prepares{{"s", false}, {"t", false}}));
  EXPECT_EQ(ScanHeldState("SELECT 1; PREPARE s FROM 'SELECT 2'").prepares, (Prepares{{"s", true}}));
  // Not a PREPARE statement: a word in another statement, text in a string, EXECUTE.
  for (absl::string_view sql : {"SELECT prepare FROM t", "SELECT 'PREPARE s FROM x'", "EXECUTE s",
                                "EXECUTE s USING @a", "PREPARE FROM"}) {
    EXPECT_TRUE(ScanHeldState(sql).prepares.empty()) << sql;
  }
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
  EXPECT_EQ(Adds("FLUSH TABLES WITH READ LOCK"), kHeldTableLocks);
  EXPECT_EQ(Adds("flush tables t1, t2 with read lock"), kHeldTableLocks);
  EXPECT_EQ(Adds("FLUSH TABLES t FOR EXPORT"), kHeldTableLocks);
  EXPECT_EQ(Adds("FLUSH TABLES"), 0);
  EXPECT_EQ(Adds("FLUSH TABLES WITH READ LOCK; UNLOCK TABLES"), 0);
  EXPECT_EQ(Adds("SELECT * FROM t LOCK IN SHARE MODE"), 0);
  EXPECT_EQ(Adds("SELECT * FROM t FOR UPDATE"), 0);
}

TEST(HeldState, HandlerTablesAreHeldOnceOpened) {
  EXPECT_EQ(Adds("HANDLER t OPEN"), kHeldHandlers);
  EXPECT_EQ(Adds("handler db.t open as h"), kHeldHandlers);
  EXPECT_EQ(Adds("HANDLER `open` OPEN"), kHeldHandlers);
  EXPECT_EQ(Adds("HANDLER open READ FIRST"), 0);  // a table named "open"
  EXPECT_EQ(Adds("HANDLER t READ FIRST"), 0);
  // One CLOSE may not be the last: only a reset lets go.
  EXPECT_EQ(Clears("HANDLER t CLOSE"), 0);
  EXPECT_EQ(Adds("SELECT 'HANDLER t OPEN'"), 0);
  EXPECT_EQ(Adds("SELECT handler FROM t ORDER BY open"), 0);
}

TEST(HeldState, BackupLocksAreHeldUntilEnded) {
  for (absl::string_view stage : {"START", "FLUSH", "BLOCK_DDL", "BLOCK_COMMIT"}) {
    EXPECT_EQ(Adds(absl::StrCat("BACKUP STAGE ", stage)), kHeldBackupStage) << stage;
  }
  EXPECT_EQ(Adds("backup stage end"), 0);
  EXPECT_EQ(Clears("BACKUP STAGE END"), kHeldBackupStage);
  EXPECT_EQ(Adds("BACKUP STAGE START; BACKUP STAGE END"), 0);
  EXPECT_EQ(Adds("BACKUP LOCK db.t"), kHeldBackupLock);
  EXPECT_EQ(Adds("BACKUP UNLOCK"), 0);
  // Neither ends the other: a backup stage is not a BACKUP LOCK.
  EXPECT_EQ(Clears("BACKUP UNLOCK"), kHeldBackupLock);
  EXPECT_EQ(Clears("BACKUP STAGE END") & kHeldBackupLock, 0);
  EXPECT_EQ(Adds("SELECT backup FROM stage"), 0);
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
            "temporary tables, table locks (LOCK TABLES or FLUSH TABLES)");
  EXPECT_EQ(
      DescribeHeld(kHeldHandlers | kHeldBackupStage | kHeldBackupLock),
      "tables opened with HANDLER, a backup stage (BACKUP STAGE), a backup lock (BACKUP LOCK)");
}

}  // namespace
}  // namespace obp::sql
