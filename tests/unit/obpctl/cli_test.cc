// The obpctl binary, run as a process against in-process fake nodes: what
// it prints and its exit codes (0 done, 1 usage/not found, 2 refused,
// 3 partial).
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "common/core/ids.h"
#include "tests/unit/obpctl/cli_run.h"
#include "tests/unit/obpctl/fakes.h"

namespace obp::testing {
namespace {

TEST(ObpctlCli, HelpDocumentsExitCodes) {
  CliRun r = Obpctl({"--help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r;
  EXPECT_NE(r.out.find("3  partial"), std::string::npos) << r;
}

TEST(ObpctlCli, UsageErrorsExitOne) {
  EXPECT_EQ(Obpctl({}).code, 1);
  CliRun no_fleet = Obpctl({"sessions", "list"});
  EXPECT_EQ(no_fleet.code, 1) << no_fleet;
  EXPECT_NE(no_fleet.err.find("no fleet given"), std::string::npos) << no_fleet;
  EXPECT_EQ(Obpctl({"--timeout", "0", "--node", "127.0.0.1:1", "nodes"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", "127.0.0.1:1", "kill"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", "127.0.0.1:1", "kill", "--user", "app"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", "127.0.0.1:1", "kill", "--cs-id", "0"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", "127.0.0.1:1", "sessions", "list", "-o", "yaml"}).code, 1);
}

TEST(ObpctlCli, NodesFromFleetFile) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys")});
  auto n2 = StartFake(2, {});
  CliRun r = Obpctl({"--fleet", FleetFile({{2, n2->address()}, {1, n1->address()}}), "nodes"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(absl::StartsWith(r.out, "NODE  ADDRESS")) << r;
  EXPECT_LT(r.out.find(n1->address()), r.out.find(n2->address())) << r;  // sorted by id
  EXPECT_NE(r.out.find("fake-0.1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("1h2m"), std::string::npos) << r;
}

TEST(ObpctlCli, PartialWhenANodeHangs) {
  auto n1 = StartFake(1, {MakeSession(1, 7, "app", "sys")});
  auto hung = StartFake(2, {}, /*hang=*/true);
  // OBPCTL_FLEET names the default fleet file.
  CliRun r = Obpctl({"--timeout", "300ms", "sessions", "list"},
                 {"OBPCTL_FLEET=" + FleetFile({{1, n1->address()}, {2, hung->address()}})});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_NE(r.out.find(std::to_string(MakeCsId(1, 7))), std::string::npos) << r;
  EXPECT_NE(r.err.find("obpctl: node 2 (" + hung->address() + "): deadline exceeded"),
            std::string::npos)
      << r;
}

TEST(ObpctlCli, ListJsonIsOneObject) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys"), MakeSession(1, 2, "bob", "sys")});
  CliRun r = Obpctl({"--node", n1->address(), "sessions", "list", "--user", "bob", "-o", "json"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(absl::StartsWith(r.out, "{\"sessions\":[{")) << r;
  EXPECT_TRUE(absl::EndsWith(r.out, ",\"errors\":[]}\n")) << r;
  EXPECT_NE(r.out.find("\"cs_id\":" + std::to_string(MakeCsId(1, 2))), std::string::npos) << r;
  EXPECT_EQ(r.out.find("\"user\":\"app\""), std::string::npos) << r;
}

TEST(ObpctlCli, KillByCsIdGoesToItsNode) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys")});
  auto n2 = StartFake(2, {MakeSession(2, 1, "app", "sys", {42})});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  const std::string cs = std::to_string(MakeCsId(2, 1));
  CliRun r = Obpctl({"--fleet", fleet, "kill", "--cs-id", cs, "--reason", "test"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("killed cs_id " + cs), std::string::npos) << r;
  ASSERT_EQ(n2->kills().size(), 1u);
  EXPECT_EQ(n2->kills()[0].reason(), "test");
  EXPECT_TRUE(n1->kills().empty());
  // Gone now: not found.
  EXPECT_EQ(Obpctl({"--fleet", fleet, "kill", "--cs-id", cs}).code, 1);
  // A cs_id of node 5, which is not in the fleet.
  CliRun absent = Obpctl({"--fleet", fleet, "kill", "--cs-id", std::to_string(MakeCsId(5, 1))});
  EXPECT_EQ(absent.code, 1) << absent;
  EXPECT_NE(absent.err.find("not in the fleet"), std::string::npos) << absent;
}

TEST(ObpctlCli, KillByCsIdLearnsIdsOfNodesGivenByAddress) {
  auto n1 = StartFake(1, {});
  auto n4 = StartFake(4, {MakeSession(4, 3, "app", "sys")});
  CliRun r = Obpctl({"--node", n1->address(), "--node", n4->address(), "kill", "--cs-id",
                  std::to_string(MakeCsId(4, 3)), "--query", "--dry-run"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("would kill the query"), std::string::npos) << r;
  ASSERT_EQ(n4->kills().size(), 1u);
  EXPECT_TRUE(n4->kills()[0].dry_run());
  EXPECT_EQ(n4->kills()[0].mode(), fleet::pb::KILL_MODE_QUERY);
}

TEST(ObpctlCli, KillOnUnreachableNodeIsPartial) {
  auto hung = StartFake(2, {}, /*hang=*/true);
  CliRun r = Obpctl({"--timeout", "300ms", "--fleet", FleetFile({{2, hung->address()}}), "kill",
                  "--cs-id", std::to_string(MakeCsId(2, 1))});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_NE(r.err.find("deadline exceeded"), std::string::npos) << r;
}

TEST(ObpctlCli, AmbiguousConnIdIsRefusedAndNothingKilled) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys", {300})});
  auto n2 = StartFake(2, {MakeSession(2, 1, "app", "sys", {300})});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  CliRun r = Obpctl({"--fleet", fleet, "kill", "--conn-id", "300"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("cs_id " + std::to_string(MakeCsId(1, 1)) + " on backend primary"),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("cs_id " + std::to_string(MakeCsId(2, 1))), std::string::npos) << r;
  EXPECT_TRUE(n1->kills().empty());
  EXPECT_TRUE(n2->kills().empty());
  EXPECT_EQ(Obpctl({"--fleet", fleet, "kill", "--conn-id", "301"}).code, 1);
}

TEST(ObpctlCli, ShowAndKillByUniqueConnId) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys", {300})});
  auto n2 = StartFake(2, {MakeSession(2, 1, "app", "sys", {301, 302})});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  CliRun show = Obpctl({"--fleet", fleet, "sessions", "show", "--conn-id", "302"});
  EXPECT_EQ(show.code, 0) << show;
  EXPECT_NE(show.out.find("SERVER SESSIONS"), std::string::npos) << show;
  EXPECT_NE(show.out.find("autocommit"), std::string::npos) << show;
  CliRun kill = Obpctl({"--fleet", fleet, "kill", "--conn-id", "302", "--backend", "replica1"});
  EXPECT_EQ(kill.code, 0) << kill;
  ASSERT_EQ(n2->kills().size(), 1u);
  EXPECT_EQ(n2->kills()[0].ref().cs_id(), MakeCsId(2, 1));
}

TEST(ObpctlCli, ViewerTokenCannotKill) {
  const std::map<std::string, std::string> tokens = {{"op", "operator"}, {"view", "viewer"}};
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys")}, false, tokens);
  const std::string cs = std::to_string(MakeCsId(1, 1));
  CliRun viewer = Obpctl({"--node", n1->address(), "kill", "--cs-id", cs}, {"OBPCTL_TOKEN=view"});
  EXPECT_EQ(viewer.code, 2) << viewer;
  EXPECT_EQ(n1->last_authorization(), "Bearer view");
  EXPECT_EQ(Obpctl({"--node", n1->address(), "sessions", "list"}).code, 2);  // no token
  const std::string token_file = ::testing::TempDir() + "/obpctl_cli_token";
  std::ofstream(token_file) << "op\n";
  CliRun op = Obpctl({"--node", n1->address(), "--token-file", token_file, "kill", "--cs-id", cs});
  EXPECT_EQ(op.code, 0) << op;
}

TEST(ObpctlCli, KillBySelector) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys"), MakeSession(1, 2, "bob", "sys")});
  auto n2 = StartFake(2, {MakeSession(2, 1, "app", "sys"), MakeSession(2, 2, "app", "t2")});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  EXPECT_EQ(Obpctl({"--fleet", fleet, "kill", "--user", "app"}).code, 1);  // needs --yes
  CliRun dry = Obpctl({"--fleet", fleet, "kill", "--user", "app", "--tenant", "sys", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry;
  EXPECT_NE(dry.out.find("2 session(s) would be killed"), std::string::npos) << dry;
  EXPECT_TRUE(n1->kills().empty());
  CliRun yes = Obpctl({"--fleet", fleet, "kill", "--user", "app", "--tenant", "sys", "--yes"});
  EXPECT_EQ(yes.code, 0) << yes;
  EXPECT_NE(yes.out.find("node 1 (" + n1->address() + "): killed 1: cs_id"), std::string::npos)
      << yes;
  EXPECT_EQ(n1->kills().size(), 1u);
  EXPECT_EQ(n2->kills().size(), 1u);
}

}  // namespace
}  // namespace obp::testing
