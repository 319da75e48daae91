// The obpctl binary, run as a process against in-process fake nodes: what
// it prints and its exit codes (0 done, 1 usage/not found, 2 refused,
// 3 partial).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/core/ids.h"
#include "tests/unit/obpctl/fakes.h"

extern char** environ;

namespace obp::testing {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs obpctl with `args`; the inherited OBPCTL_* variables are dropped and
// `env` added. Bounded: killed after 30 s.
CliRun Obpctl(std::vector<std::string> args, std::vector<std::string> env = {}) {
  static int counter = 0;
  const std::string base =
      absl::StrCat(::testing::TempDir(), "/obpctl_cli_", getpid(), "_", ++counter);
  const std::string out_path = base + ".out", err_path = base + ".err";
  std::vector<std::string> argv_s = {OBPCTL_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "OBPCTL_")) env.push_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  CliRun run;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << strerror(rc);
    return run;
  }
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "obpctl did not finish within 30 s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = Slurp(out_path);
  run.err = Slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return run;
}

std::string FleetFile(const std::vector<std::pair<uint32_t, std::string>>& nodes) {
  static int counter = 0;
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/obpctl_fleet_", getpid(), "_", ++counter, ".toml");
  std::ofstream f(path);
  for (const auto& [id, addr] : nodes) {
    f << "[[node]]\nid = " << id << "\ngrpc = \"" << addr << "\"\nsql = \"127.0.0.1:1\"\n";
  }
  return path;
}

std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

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
  EXPECT_EQ(Obpctl({"--timeout", "2", "--node", "127.0.0.1:1", "nodes"}).code, 1);
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
