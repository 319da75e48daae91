// SessionView: what both front doors show is derived once, here.
#include "proxyd/control/session_view.h"

#include <gtest/gtest.h>

namespace obp::control {
namespace {

session::SessionInfo Sample() {
  session::SessionInfo i;
  i.cs_id = 77;
  i.host_ip = "127.0.0.1";
  i.host_port = 4000;
  i.user = "app";
  i.tenant = "sys";
  i.state = session::ClientState::kKeepAlive;
  i.last_active = absl::FromUnixSeconds(100);
  i.current_statement = "SELECT 1";
  i.statement_start = absl::FromUnixSeconds(90);
  session::ServerSessionInfo ss;
  ss.ss_id = 3;
  ss.server_ip = "127.0.0.2";
  ss.server_port = 3306;
  ss.state = session::ServerState::kIdle;
  i.servers.push_back(ss);
  return i;
}

TEST(SessionViewTest, IdleSessionShowsIdleTimeAndNoStatement) {
  SessionView v = ViewOf(Sample(), 2, 99, absl::FromUnixSeconds(130));
  EXPECT_EQ(v.client_host, "127.0.0.1:4000");
  EXPECT_STREQ(v.state, "MCS_KEEP_ALIVE");
  EXPECT_FALSE(v.active);
  EXPECT_EQ(v.idle, absl::Seconds(30));
  EXPECT_FALSE(v.current_statement.has_value());
  EXPECT_EQ(v.statement_time, absl::ZeroDuration());
  EXPECT_EQ(v.node_id, 2u);
  EXPECT_EQ(v.pid, 99);
  ASSERT_EQ(v.servers.size(), 1u);
  EXPECT_EQ(v.servers[0].server_address, "127.0.0.2:3306");
  EXPECT_STREQ(v.servers[0].state, "MSS_KA_CLIENT_SLAVE");
}

TEST(SessionViewTest, ActiveSessionShowsStatementAndItsTime) {
  session::SessionInfo i = Sample();
  i.state = session::ClientState::kActiveReader;
  SessionView v = ViewOf(i, 1, 1, absl::FromUnixSeconds(95));
  EXPECT_TRUE(v.active);
  EXPECT_EQ(v.idle, absl::ZeroDuration());
  EXPECT_EQ(v.current_statement, "SELECT 1");
  EXPECT_EQ(v.statement_time, absl::Seconds(5));
}

TEST(SessionViewTest, VariablesChangedOnlyUnlessAll) {
  session::SessionInfo i = Sample();
  i.vars.vars["sql_mode"] = "''";
  i.vars.vars["@x"] = "1";
  auto changed = VariablesOf(i, false);
  ASSERT_EQ(changed.size(), 2u);
  auto all = VariablesOf(i, true);
  EXPECT_EQ(all.size(), 6u);  // + autocommit, character_set, database, role at their defaults
  i.vars.role = "reader";
  i.vars.assigned["@n"] = 1;
  auto more = VariablesOf(i, false);
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(more[0].name, "role");
  EXPECT_EQ(more[0].value, "reader");
  EXPECT_EQ(more[3].name, "@n");
  EXPECT_EQ(more[3].value, "(assigned by a statement)");
  for (const auto& v : changed) {
    EXPECT_EQ(v.modified_type, "changed");
    EXPECT_EQ(v.flag, v.name[0] == '@' ? "user_variable" : "sys_variable");
  }
}

}  // namespace
}  // namespace obp::control
