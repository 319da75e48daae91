// obpctl's command line as an operator meets it: global flags before or
// after the command, a bare --timeout number as seconds, --help with
// examples everywhere, errors that say what to do next, `version`, and the
// completion tree. The binary runs as a process against fake nodes; the tree
// is also walked in-process.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/core/build_info.h"
#include "common/core/ids.h"
#include "obpctl/app.h"
#include "obpctl/completion.h"
#include "tests/unit/obpctl/cli_run.h"
#include "tests/unit/obpctl/fakes.h"

namespace obp::testing {
namespace {

TEST(ObpctlErgonomics, GlobalFlagsBeforeOrAfterTheCommand) {
  auto n1 = StartFake(1, {MakeSession(1, 7, "app", "sys")});
  const std::string fleet = FleetFile({{1, n1->address()}});
  const std::string cs = std::to_string(MakeCsId(1, 7));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--fleet", fleet, "--timeout", "1s", "sessions", "list"},
           {"--fleet", fleet, "sessions", "list", "--timeout", "1"},
           {"sessions", "list", "--fleet", fleet, "--timeout", "1", "--user", "app"},
           {"sessions", "--fleet", fleet, "list"},
           {"--node", n1->address(), "sessions", "list", "--timeout", "1"}}) {
    CliRun r = Obpctl(args);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_TRUE(absl::StrContains(r.out, cs)) << r;
  }
}

TEST(ObpctlErgonomics, BareTimeoutIsSecondsAndTheLastOneWins) {
  auto n1 = StartFake(1, {MakeSession(1, 7, "app", "sys")});
  auto hung = StartFake(2, {}, /*hang=*/true);
  const std::string fleet = FleetFile({{1, n1->address()}, {2, hung->address()}});
  // 0.3 s, not the default 2 s; given after the command, it overrides the one before.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--fleet", fleet, "sessions", "list", "--timeout", "0.3"},
           {"--fleet", fleet, "--timeout", "30", "sessions", "list", "--timeout", "0.3"}}) {
    const auto start = std::chrono::steady_clock::now();
    CliRun r = Obpctl(args);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, 3) << r;
    EXPECT_TRUE(absl::StrContains(r.err, "node 2 (" + hung->address() + "): deadline exceeded"))
        << r;
    EXPECT_LT(took, std::chrono::milliseconds(1500)) << r;
  }
  CliRun zero = Obpctl({"--fleet", fleet, "sessions", "list", "--timeout", "0"});
  EXPECT_EQ(zero.code, 1) << zero;
  EXPECT_TRUE(absl::StrContains(zero.err, "--timeout: expected a positive duration")) << zero;
}

TEST(ObpctlErgonomics, NoFleetNamesEveryWayToGiveOne) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"sessions", "list"}, {"nodes"}, {"version"}, {"kill", "--cs-id", "262145"}}) {
    CliRun r = Obpctl(args);
    EXPECT_EQ(r.code, 1) << r;
    EXPECT_TRUE(r.out.empty() || args[0] == "version") << r;
    for (const char* way : {"no fleet given", "--fleet FILE", "--node HOST:PORT",
                            "--discover dns:NAME:PORT", "OBPCTL_FLEET"}) {
      EXPECT_TRUE(absl::StrContains(r.err, way)) << way << "\n" << r;
    }
  }
}

TEST(ObpctlErgonomics, ListNodeFilterGivenAnAddressSaysWhereItGoes) {
  CliRun r = Obpctl({"sessions", "list", "--node", "127.0.0.1:2884"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_TRUE(absl::StrContains(r.err, "takes a node id")) << r;
  EXPECT_TRUE(absl::StrContains(r.err, "obpctl --node 127.0.0.1:2884 sessions list")) << r;
}

TEST(ObpctlErgonomics, ParseErrorsPointAtTheHelpAndGuessTypos) {
  CliRun cmd = Obpctl({"sesions", "list"});
  EXPECT_EQ(cmd.code, 1) << cmd;
  EXPECT_TRUE(absl::StrContains(cmd.err, "\"sesions\" is not a command of obpctl")) << cmd;
  EXPECT_TRUE(absl::StrContains(cmd.err, "did you mean sessions?")) << cmd;
  EXPECT_TRUE(absl::StrContains(cmd.err, "Run 'obpctl --help'")) << cmd;

  CliRun flag = Obpctl({"sessions", "list", "--usr", "bob"});
  EXPECT_EQ(flag.code, 1) << flag;
  EXPECT_TRUE(absl::StrContains(flag.err, "unknown flag --usr")) << flag;
  EXPECT_TRUE(absl::StrContains(flag.err, "did you mean --user?")) << flag;
  EXPECT_TRUE(absl::StrContains(flag.err, "Run 'obpctl sessions list --help'")) << flag;

  CliRun bare = Obpctl({"sessions"});
  EXPECT_EQ(bare.code, 1) << bare;
  EXPECT_TRUE(absl::StrContains(bare.err, "obpctl sessions needs a command: list, show, history"))
      << bare;
}

// Every command path of the tree, "" first.
std::vector<std::string> CommandPaths() {
  ctl::GlobalFlags flags;
  int exit_code = 0;
  std::ostringstream out, err;
  auto app = ctl::MakeApp(flags, ctl::Io{out, err}, &exit_code);
  std::vector<std::string> paths;
  for (const auto& c : ctl::DescribeCommands(*app)) paths.push_back(c.path);
  return paths;
}

TEST(ObpctlErgonomics, EveryCommandsHelpHasExamples) {
  const auto paths = CommandPaths();
  EXPECT_GE(paths.size(), 8u);
  for (const auto& path : paths) {
    std::vector<std::string> args = absl::StrSplit(path, ' ', absl::SkipEmpty());
    args.push_back("--help");
    CliRun r = Obpctl(args);
    EXPECT_EQ(r.code, 0) << path << "\n" << r;
    EXPECT_TRUE(absl::StrContains(r.out, "Examples:\n  obpctl ") ||
                absl::StrContains(r.out, "Examples:\n  source "))
        << path << "\n"
        << r;
    // Each names where the global flags and exit codes are.
    EXPECT_TRUE(absl::StrContains(r.out, "Exit codes") || absl::StrContains(r.out, "3 partial"))
        << path << "\n"
        << r;
  }
}

TEST(ObpctlErgonomics, VersionOfClientAndEveryNode) {
  const std::string client_line = "obpctl " + VersionText() + "\n";
  EXPECT_TRUE(absl::StartsWith(VersionText(), std::string(BuildVersion()) + " (commit "));
  EXPECT_EQ(Obpctl({"--version"}).out, client_line);
  CliRun client = Obpctl({"version", "--client"});
  EXPECT_EQ(client.code, 0) << client;
  EXPECT_EQ(client.out, client_line);

  auto n1 = StartFake(1, {});
  auto hung = StartFake(2, {}, /*hang=*/true);
  const std::string fleet = FleetFile({{2, hung->address()}, {1, n1->address()}});
  CliRun r = Obpctl({"version", "--fleet", fleet, "--timeout", "0.3"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_TRUE(absl::StartsWith(r.out, client_line + "\nNODE  ADDRESS")) << r;
  // The fake predates build_commit: its COMMIT is "-".
  EXPECT_TRUE(absl::StrContains(r.out, "1     " + n1->address() + "  ok")) << r;
  EXPECT_TRUE(absl::StrContains(r.out, "fake-0.1  -\n")) << r;
  EXPECT_LT(r.out.find(n1->address()), r.out.find(hung->address())) << r;
  EXPECT_TRUE(absl::StrContains(r.out, "deadline exceeded")) << r;
  EXPECT_TRUE(
      absl::StrContains(r.err, "obpctl: node 2 (" + hung->address() + "): deadline exceeded"))
      << r;

  CliRun json = Obpctl({"--fleet", fleet, "--timeout", "0.3", "version", "-o", "json"});
  EXPECT_EQ(json.code, 3) << json;
  EXPECT_TRUE(absl::StartsWith(
      json.out, "{\"client\":{\"version\":\"" + std::string(BuildVersion()) +
                    "\",\"build_commit\":\"" + std::string(BuildCommit()) + "\"},\"nodes\":["))
      << json;
  EXPECT_TRUE(
      absl::StrContains(json.out, "\"node_id\":1,\"address\":\"" + n1->address() +
                                      "\",\"ok\":true,\"error\":\"\",\"version\":\"fake-0.1\","
                                      "\"build_commit\":\"\"}"))
      << json;
  EXPECT_TRUE(absl::StrContains(json.out, "\"node_id\":2,")) << json;
}

TEST(ObpctlErgonomics, CompletionTreeHasGlobalFlagsEverywhere) {
  ctl::GlobalFlags flags;
  int exit_code = 0;
  std::ostringstream out, err;
  auto app = ctl::MakeApp(flags, ctl::Io{out, err}, &exit_code);
  std::map<std::string, ctl::CompletionCommand> by_path;
  for (auto& c : ctl::DescribeCommands(*app)) by_path[c.path] = c;
  auto kind = [&](const std::string& path, const std::string& name) -> std::string {
    for (const auto& f : by_path.at(path).flags) {
      for (const auto& n : f.names) {
        if (n == name) return f.kind.empty() ? "(flag)" : f.kind;
      }
    }
    return "(absent)";
  };
  ASSERT_TRUE(by_path.count("sessions list"));
  EXPECT_EQ(kind("", "--fleet"), "file");
  EXPECT_EQ(kind("sessions list", "--fleet"), "file");
  EXPECT_EQ(kind("sessions list", "--timeout"), "any");
  EXPECT_EQ(kind("sessions list", "-o"), "table|wide|json");
  EXPECT_EQ(kind("kill", "--yes"), "(flag)");
  EXPECT_EQ(kind("kill", "--running-over"), "any");
  EXPECT_EQ(kind("kill", "--statement"), "any");
  EXPECT_EQ(kind("sessions list", "--sort"), "id|time|idle");
  EXPECT_EQ(kind("sessions list", "--watch"), "any");
  EXPECT_EQ(kind("sessions list", "--command"), "any");
  EXPECT_EQ(kind("sessions history", "--reason"),
            "client_quit|client_gone|killed|backend_lost|idle_timeout|login_timeout|"
            "login_failed|drain|error");
  EXPECT_EQ(kind("sessions history", "-o"), "table|wide|json");
  EXPECT_EQ(kind("sessions history", "--since"), "any");
  EXPECT_EQ(kind("kill", "--tls"), "(flag)");
  EXPECT_EQ(kind("version", "--token-file"), "file");
  EXPECT_EQ(by_path.at("completion").args, (std::vector<std::string>{"bash", "zsh"}));
  // `sessions list --node` is the list's node-id filter: listed once.
  int nodes = 0;
  for (const auto& f : by_path.at("sessions list").flags) {
    for (const auto& n : f.names) nodes += n == "--node";
  }
  EXPECT_EQ(nodes, 1);
  std::vector<std::string> top;
  for (const auto& [name, desc] : by_path.at("").subcommands) top.push_back(name);
  EXPECT_EQ(top, (std::vector<std::string>{"nodes", "sessions", "kill", "version", "completion"}));

  CliRun bash = Obpctl({"completion", "bash"});
  EXPECT_EQ(bash.code, 0) << bash;
  EXPECT_TRUE(absl::StrContains(bash.out, "complete -F _obpctl obpctl\n")) << bash;
  CliRun zsh = Obpctl({"completion", "zsh"});
  EXPECT_EQ(zsh.code, 0) << zsh;
  EXPECT_TRUE(absl::StartsWith(zsh.out, "#compdef obpctl\n")) << zsh;
  EXPECT_EQ(Obpctl({"completion", "fish"}).code, 1);
}

}  // namespace
}  // namespace obp::testing
