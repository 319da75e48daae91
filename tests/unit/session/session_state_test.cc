// session::PlanReplay: the statements that bring a server session's state to the
// client session's.
#include "proxyd/session/session_state.h"

#include <gtest/gtest.h>

namespace obp::session {
namespace {

TEST(PlanReplay, NothingWhenEqual) {
  StateSnapshot s;
  s.db = "d";
  s.vars["sql_mode"] = "''";
  s.role = "r";
  EXPECT_TRUE(PlanReplay(s, s).empty());
}

TEST(PlanReplay, DatabaseNamesVariablesAndRole) {
  StateSnapshot have, want;
  want.db = "app";
  want.names = "latin1";
  want.autocommit = false;
  want.vars["sql_mode"] = "'ANSI'";
  want.vars["@n"] = "42";
  want.vars["@odd name"] = "'x'";
  want.role = "reader";
  ReplayPlan plan = PlanReplay(have, want);
  EXPECT_EQ(plan.init_db, "app");
  // NAMES first: it resets character_set_* which a later variable may set again.
  EXPECT_EQ(plan.set_statement,
            "SET NAMES latin1, autocommit=0, @n=42, @`odd name`='x', SESSION sql_mode='ANSI'");
  EXPECT_EQ(plan.role_statement, "SET ROLE reader");
}

TEST(PlanReplay, OnlyWhatDiffers) {
  StateSnapshot have, want;
  have.vars["@a"] = "1";
  have.role = "reader";
  want = have;
  want.vars["@b"] = "2";
  EXPECT_EQ(PlanReplay(have, want).set_statement, "SET @b=2");
  EXPECT_TRUE(PlanReplay(have, want).role_statement.empty());
  // A login's own role (empty) is never set: the server chose it.
  want.role.clear();
  EXPECT_TRUE(PlanReplay(have, want).role_statement.empty());
}

TEST(PlanReplay, AssignedValuesAreNotReplayed) {
  StateSnapshot have, want;
  want.assigned["@n"] = 3;  // read back before a replay, never replayed as text
  EXPECT_TRUE(PlanReplay(have, want).empty());
}

}  // namespace
}  // namespace obp::session
