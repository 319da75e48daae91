#include "proxyd/sql/admin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/sql/variants.h"

namespace obp::sql {
namespace {

using Kind = AdminStatement::Kind;
using testing::Spellings;
using testing::Words;

struct Good {
  std::string spaced;  // tokens separated by single spaces
  Kind kind;
  std::optional<uint64_t> id;
  std::optional<uint64_t> ss_id;
  bool all;
  std::optional<std::string> like;
};

const std::vector<Good>& GoodCases() {
  static const std::vector<Good> kCases = {
      {"SHOW PROXYSESSION", Kind::kShowSessions, {}, {}, false, {}},
      {"SHOW PROXYSESSION ATTRIBUTE", Kind::kShowAttribute, {}, {}, false, {}},
      {"SHOW PROXYSESSION ATTRIBUTE 12", Kind::kShowAttribute, 12, {}, false, {}},
      {"SHOW PROXYSESSION ATTRIBUTE 12 LIKE 'cs%'", Kind::kShowAttribute, 12, {}, false, "cs%"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE 'Host_ip'",
       Kind::kShowAttribute,
       {},
       {},
       false,
       "Host_ip"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE 'a\\_b'", Kind::kShowAttribute, {}, {}, false, "a\\_b"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE 'it''s'", Kind::kShowAttribute, {}, {}, false, "it's"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE \"x%\"", Kind::kShowAttribute, {}, {}, false, "x%"},
      {"SHOW PROXYSESSION VARIABLES", Kind::kShowVariables, {}, {}, false, {}},
      {"SHOW PROXYSESSION VARIABLES ALL", Kind::kShowVariables, {}, {}, true, {}},
      {"SHOW PROXYSESSION VARIABLES ALL 7", Kind::kShowVariables, 7, {}, true, {}},
      {"SHOW PROXYSESSION VARIABLES 7 LIKE 'auto%'", Kind::kShowVariables, 7, {}, false, "auto%"},
      {"SHOW PROXYSESSION VARIABLES ALL LIKE 'sql_mode'",
       Kind::kShowVariables,
       {},
       {},
       true,
       "sql_mode"},
      {"SHOW PROXYSESSION VARIABLES ALL 0 LIKE '%'", Kind::kShowVariables, 0, {}, true, "%"},
      {"SHOW PROXYSESSION HISTORY", Kind::kShowHistory, {}, {}, false, {}},
      {"show proxysession history like 'app%'", Kind::kShowHistory, {}, {}, false, "app%"},
      {"KILL PROXYSESSION 5", Kind::kKillProxySession, 5, {}, false, {}},
      {"KILL PROXYSESSION 5 3", Kind::kKillProxySession, 5, 3, false, {}},
      {"KILL PROXYSESSION 0 0", Kind::kKillProxySession, 0, 0, false, {}},
      {"KILL 5", Kind::kKillConnection, 5, {}, false, {}},
      {"KILL 007", Kind::kKillConnection, 7, {}, false, {}},
      {"KILL CONNECTION 262145", Kind::kKillConnection, 262145, {}, false, {}},
      {"KILL QUERY 9", Kind::kKillQuery, 9, {}, false, {}},
      {"KILL HARD 5", Kind::kKillConnection, 5, {}, false, {}},
      {"KILL SOFT QUERY 5", Kind::kKillQuery, 5, {}, false, {}},
      {"KILL HARD CONNECTION 0", Kind::kKillConnection, 0, {}, false, {}},
      {"KILL 18446744073709551615", Kind::kKillConnection, 18446744073709551615ull, {}, false, {}},
  };
  return kCases;
}

TEST(AdminTest, EveryGoodFormInEverySpelling) {
  for (const Good& c : GoodCases()) {
    for (const std::string& text : Spellings(Words(c.spaced))) {
      SCOPED_TRACE(text);
      auto r = ParseAdminStatement(text);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_TRUE(r->has_value());
      const AdminStatement& s = **r;
      EXPECT_EQ(s.kind, c.kind);
      EXPECT_EQ(s.id, c.id);
      EXPECT_EQ(s.ss_id, c.ss_id);
      EXPECT_EQ(s.all, c.all);
      EXPECT_EQ(s.like, c.like);
    }
  }
}

TEST(AdminTest, NotOurs) {
  for (const char* text : {"", "   ", ";", "SELECT 1", "SHOW PROCESSLIST", "SHOW FULL PROCESSLIST",
                           "show variables", "SHOW PROXYSESSIONS", "SHOW `PROXYSESSION`", "SHOW",
                           "/* KILL 5 */ SELECT 1", "-- KILL 5\nSELECT 1", "SELECT 'KILL 5'",
                           "SHOW /* x */ processlist", "KILLER 5", "SHOW PROXYSESSIONATTRIBUTE"}) {
    SCOPED_TRACE(text);
    auto r = ParseAdminStatement(text);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->has_value());
  }
}

TEST(AdminTest, ExecutableCommentIsCode) {
  auto r = ParseAdminStatement("/*!50000 KILL QUERY 5 */");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->kind, Kind::kKillQuery);
  EXPECT_EQ((*r)->id, 5u);
}

struct Bad {
  std::string text;
  std::string message_part;
};

TEST(AdminTest, MalformedNamesTheExpectedForm) {
  const std::string kShow =
      "expected: SHOW PROXYSESSION [ATTRIBUTE [<id>] [LIKE '<pattern>'] | "
      "VARIABLES [ALL] [<id>] [LIKE '<pattern>'] | HISTORY [LIKE '<user-pattern>']]";
  const std::string kHistory = "expected: SHOW PROXYSESSION HISTORY [LIKE '<user-pattern>']";
  const std::string kAttr = "expected: SHOW PROXYSESSION ATTRIBUTE [<id>] [LIKE '<pattern>']";
  const std::string kVars = "expected: SHOW PROXYSESSION VARIABLES [ALL] [<id>] [LIKE '<pattern>']";
  const std::string kKps = "expected: KILL PROXYSESSION <id> [<ss_id>]";
  const std::string kKill = "expected: KILL [HARD|SOFT] [CONNECTION|QUERY] <id>";
  const std::vector<Bad> cases = {
      {"SHOW PROXYSESSION FOO", kShow},
      {"SHOW PROXYSESSION 5", kShow},
      {"SHOW PROXYSESSION;;", kShow},
      {"SHOW PROXYSESSION; SELECT 1", kShow},
      {"SHOW PROXYSESSION ATTRIBUTE x", kAttr},
      {"SHOW PROXYSESSION ATTRIBUTE -1", kAttr},
      {"SHOW PROXYSESSION ATTRIBUTE 0x1F", "must be an unsigned decimal integer"},
      {"SHOW PROXYSESSION ATTRIBUTE 99999999999999999999", "up to 18446744073709551615"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE", "LIKE needs a quoted pattern; " + kAttr},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE abc", "LIKE needs a quoted pattern"},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE 'a' 5", kAttr},
      {"SHOW PROXYSESSION ATTRIBUTE LIKE 'a", kAttr},
      {"SHOW PROXYSESSION ATTRIBUTE 1 2", kAttr},
      {"SHOW PROXYSESSION VARIABLES 5 ALL", kVars},
      {"SHOW PROXYSESSION HISTORY 5", "HISTORY takes no id; " + kHistory},
      {"SHOW PROXYSESSION HISTORY LIKE", "LIKE needs a quoted pattern; " + kHistory},
      {"SHOW PROXYSESSION HISTORY ALL", kHistory},
      {"SHOW PROXYSESSION VARIABLES ALL ALL", kVars},
      {"SHOW PROXYSESSION VARIABLES LIKE 'a' LIKE 'b'", kVars},
      {"KILL PROXYSESSION", "missing id; " + kKps},
      {"KILL PROXYSESSION;", "missing id; " + kKps},
      {"KILL PROXYSESSION 1 2 3", kKps},
      {"KILL PROXYSESSION -1", "id must be an unsigned decimal integer; " + kKps},
      {"KILL PROXYSESSION 0x1", kKps},
      {"KILL PROXYSESSION 1 x", "ss_id must be a literal number, got 'x'"},
      {"KILL PROXYSESSION 1 -2", "ss_id must be an unsigned decimal integer"},
      {"KILL PROXYSESSION 1 18446744073709551616", "ss_id must be an unsigned decimal integer"},
      {"KILL", "missing id; " + kKill},
      {"KILL ;", "missing id; " + kKill},
      {"KILL HARD", "missing id"},
      {"KILL QUERY", "missing id"},
      {"KILL 18446744073709551616", "id must be an unsigned decimal integer up to"},
      {"KILL 5;;", kKill},
      {"KILL 5; SELECT 1", kKill},
      {"KILL QUERY ID 5", "KILL QUERY ID is not supported through proxyd"},
      {"kill hard query id 5", "not supported through proxyd"},
      {"KILL USER bob", "KILL USER is not supported through proxyd"},
      {"KILL CONNECTION USER bob", "KILL USER is not supported"},
      {"KILL SOFT USER 'bob'@'%'", "KILL USER is not supported"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseAdminStatement(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find(c.message_part), std::string::npos)
        << r.status().message();
  }
}

// MariaDB takes an expression for KILL's id (`KILL CONNECTION_ID()`); proxyd hands
// it to the session's backend to work out, so anything but a lone literal is one,
// kept as written up to the statement's end.
TEST(AdminTest, KillTakesAnExpressionForItsId) {
  struct Expr {
    std::string text;
    Kind kind;
    std::string expr;
  };
  const std::vector<Expr> cases = {
      {"KILL CONNECTION_ID()", Kind::kKillConnection, "CONNECTION_ID()"},
      {"kill query connection_id();", Kind::kKillQuery, "connection_id()"},
      {"KILL HARD CONNECTION (('x' IN ( SELECT 1)) MOD 44) ;", Kind::kKillConnection,
       "(('x' IN ( SELECT 1)) MOD 44)"},
      {"KILL -1", Kind::kKillConnection, "-1"},
      {"KILL 5+1", Kind::kKillConnection, "5+1"},
      {"KILL 5 6", Kind::kKillConnection, "5 6"},  // the backend's 1064, as directly
      {"KILL 0x10", Kind::kKillConnection, "0x10"},
      {"KILL 1.0", Kind::kKillConnection, "1.0"},
      {"KILL '5'", Kind::kKillConnection, "'5'"},
      {"KILL @x", Kind::kKillConnection, "@x"},
      {"KILL QUERY @@pseudo_thread_id", Kind::kKillQuery, "@@pseudo_thread_id"},
      {"KILL CONNECTION QUERY 5", Kind::kKillConnection, "QUERY 5"},
  };
  for (const Expr& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseAdminStatement(c.text);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->kind, c.kind);
    EXPECT_FALSE((*r)->id.has_value());
    EXPECT_EQ((*r)->id_expr, c.expr);
  }
}

TEST(AdminTest, MalformedStaysMalformedWithCommentsBetweenTokens) {
  for (const char* spaced : {"KILL PROXYSESSION 1 2 3", "SHOW PROXYSESSION FOO", "KILL QUERY ID 5",
                             "SHOW PROXYSESSION VARIABLES 5 ALL"}) {
    for (const std::string& text : Spellings(Words(spaced))) {
      SCOPED_TRACE(text);
      auto r = ParseAdminStatement(text);
      EXPECT_FALSE(r.ok());
    }
  }
}

}  // namespace
}  // namespace obp::sql
