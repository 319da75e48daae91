// sql::SplitStatements and sql::PlanMultiStatement: where a multi-statement query
// is cut, and which of its statements proxyd answers itself.
#include "proxyd/sql/split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace obp::sql {
namespace {

std::vector<std::string> Split(absl::string_view sql) {
  std::vector<std::string> out;
  for (absl::string_view s : SplitStatements(sql)) out.emplace_back(s);
  return out;
}

using V = std::vector<std::string>;

TEST(SplitStatements, CutsAtTopLevelSemicolons) {
  EXPECT_EQ(Split("KILL 5; SELECT 1"), (V{"KILL 5", " SELECT 1"}));
  EXPECT_EQ(Split("SELECT 1"), (V{"SELECT 1"}));
  EXPECT_EQ(Split("SELECT 1;"), (V{"SELECT 1"}));
  EXPECT_EQ(Split("SELECT 1; -- done\n"), (V{"SELECT 1"}));
  EXPECT_EQ(Split("SELECT 1;;SELECT 2"), (V{"SELECT 1", "", "SELECT 2"}));
  EXPECT_EQ(Split(""), V{});
  EXPECT_EQ(Split("  /* nothing */ "), V{});
}

TEST(SplitStatements, SemicolonsInQuotesAndCommentsDoNotCut) {
  EXPECT_EQ(Split("SELECT 'a;b', \"c;d\", `e;f`; KILL 1"),
            (V{"SELECT 'a;b', \"c;d\", `e;f`", " KILL 1"}));
  EXPECT_EQ(Split("SELECT 1 /* ; */; # ;\nKILL 2"), (V{"SELECT 1 /* ; */", " # ;\nKILL 2"}));
  EXPECT_EQ(Split("SELECT 'it''s;'; KILL 3"), (V{"SELECT 'it''s;'", " KILL 3"}));
}

TEST(SplitStatements, CompoundStatementsAreNeverCut) {
  const char* proc = "CREATE PROCEDURE p() BEGIN SELECT 1; KILL 5; END; KILL 6";
  EXPECT_EQ(Split(proc), (V{proc}));
  const char* definer =
      "SELECT 0; CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN KILL 5; END";
  EXPECT_EQ(Split(definer), (V{"SELECT 0", " CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN KILL 5; END"}));
  EXPECT_EQ(Split("BEGIN NOT ATOMIC SELECT 1; END"), (V{"BEGIN NOT ATOMIC SELECT 1; END"}));
  EXPECT_EQ(Split("IF 1 THEN SELECT 1; END IF"), (V{"IF 1 THEN SELECT 1; END IF"}));
  EXPECT_EQ(Split("l1: LOOP LEAVE l1; END LOOP l1"), (V{"l1: LOOP LEAVE l1; END LOOP l1"}));
  EXPECT_EQ(Split("CREATE OR REPLACE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a=1; END"),
            (V{"CREATE OR REPLACE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a=1; END"}));
}

TEST(SplitStatements, OrdinaryStatementsThatLookCompoundAreCut) {
  EXPECT_EQ(Split("BEGIN; KILL 5"), (V{"BEGIN", " KILL 5"}));
  EXPECT_EQ(Split("BEGIN WORK; SELECT 1"), (V{"BEGIN WORK", " SELECT 1"}));
  EXPECT_EQ(Split("CREATE TABLE t (event INT); KILL 5"), (V{"CREATE TABLE t (event INT)", " KILL 5"}));
  EXPECT_EQ(Split("SELECT IF(1,2,3); KILL 5"), (V{"SELECT IF(1,2,3)", " KILL 5"}));
  EXPECT_EQ(Split("SET @a := 1; KILL 5"), (V{"SET @a := 1", " KILL 5"}));
}

TEST(SplitStatements, AnUnterminatedQuoteEndsTheCutting) {
  EXPECT_EQ(Split("SELECT 1; SELECT 'a; KILL 5"), (V{"SELECT 1", " SELECT 'a; KILL 5"}));
}

TEST(PlanMultiStatement, OnlyQueriesWithAProxyStatementArePlanned) {
  EXPECT_FALSE(PlanMultiStatement("SELECT 1").has_value());
  EXPECT_FALSE(PlanMultiStatement("SELECT 1; SELECT 2").has_value());
  EXPECT_FALSE(PlanMultiStatement("KILL 5;").has_value());  // one statement: not multi
  EXPECT_FALSE(PlanMultiStatement("SELECT 'KILL 5; SELECT 1'").has_value());
  EXPECT_FALSE(PlanMultiStatement("CREATE PROCEDURE p() BEGIN KILL 5; END").has_value());
}

TEST(PlanMultiStatement, ProxyStatementsStandAloneAndTheRestIsGrouped) {
  auto plan = PlanMultiStatement("SELECT 1; SELECT 2; KILL QUERY 7; SHOW PROXYSESSION; SELECT 3");
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[0].text, "SELECT 1; SELECT 2");
  EXPECT_FALSE((*plan)[0].is_proxy());
  ASSERT_TRUE((*plan)[1].admin.has_value());
  EXPECT_EQ((*plan)[1].admin->kind, AdminStatement::Kind::kKillQuery);
  EXPECT_EQ((*plan)[1].admin->id, 7u);
  ASSERT_TRUE((*plan)[2].admin.has_value());
  EXPECT_EQ((*plan)[2].admin->kind, AdminStatement::Kind::kShowSessions);
  EXPECT_EQ((*plan)[3].text, " SELECT 3");
  EXPECT_FALSE((*plan)[3].is_proxy());
}

TEST(PlanMultiStatement, AMalformedProxyStatementIsAnError) {
  auto plan = PlanMultiStatement("KILL QUERY ID 5; SELECT 1");
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_TRUE((*plan)[0].is_proxy());
  EXPECT_FALSE((*plan)[0].admin.has_value());
  EXPECT_EQ((*plan)[0].error.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace obp::sql
