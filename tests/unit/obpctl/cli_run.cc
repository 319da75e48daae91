#include "tests/unit/obpctl/cli_run.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace obp::testing {

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

CliRun Obpctl(std::vector<std::string> args, std::vector<std::string> env) {
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

}  // namespace obp::testing
