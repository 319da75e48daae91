// obp_fake_node: a stand-alone FakeNode, for trying obpctl or scripting
// tests without proxyd.
//   obp_fake_node --node-id 2 [--listen 127.0.0.1:0] [--sessions FILE]
//                 [--token TOKEN=viewer|operator]... [--hang]
// FILE is a text-format obproxy.fleet.v1.ListSessionsResponse
// (`sessions { cs_id: 524289 user: "app" ... }`). Prints "port <N>" on stdout
// once serving; runs until SIGTERM/SIGINT.
#include <google/protobuf/text_format.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "tests/tools/fake_node/fake_node.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool LoadSessions(const std::string& path, obp::testing::FakeNodeConfig& config) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  obp::testing::pb::ListSessionsResponse canned;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &canned)) return false;
  for (auto& s : *canned.mutable_sessions()) {
    if (s.node_id() == 0) s.set_node_id(config.node_id);
    config.sessions.push_back(s);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fake SessionService node for tests"};
  obp::testing::FakeNodeConfig config;
  std::string sessions_file;
  std::vector<std::string> tokens;
  app.add_option("--node-id", config.node_id)->required();
  app.add_option("--listen", config.listen);
  app.add_option("--sessions", sessions_file);
  app.add_option("--token", tokens, "TOKEN=viewer|operator");
  app.add_flag("--hang", config.hang);
  CLI11_PARSE(app, argc, argv);
  if (!sessions_file.empty() && !LoadSessions(sessions_file, config)) {
    std::cerr << "obp_fake_node: cannot load sessions from " << sessions_file << "\n";
    return 1;
  }
  for (const auto& t : tokens) {
    std::pair<std::string, std::string> kv = absl::StrSplit(t, absl::MaxSplits('=', 1));
    config.tokens[kv.first] = kv.second;
  }
  auto node = obp::testing::FakeNode::Start(config);
  if (!node.ok()) {
    std::cerr << "obp_fake_node: " << node.status() << "\n";
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::printf("port %d\n", (*node)->port());
  std::fflush(stdout);
  while (!g_stop) usleep(50 * 1000);  // bounded poll; no signal race
  (*node)->Stop();
  return 0;
}
