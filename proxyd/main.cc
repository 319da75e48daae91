// proxyd: one node of the fleet. See README.md and ../shared/SPEC.md.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "common/core/build_info.h"
#include "proxyd/config/config.h"
#include "proxyd/log_file.h"
#include "proxyd/log_json.h"
#include "proxyd/reload.h"
#include "proxyd/server.h"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  // Debian builds Abseil without NDEBUG, so every Mutex lock would also feed the
  // deadlock detector's global graph (a process-wide lock per acquisition).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"proxyd: a MySQL proxy node of an operable fleet"};
  // Handled while parsing, before --config is required: `proxyd --version` alone works.
  app.set_version_flag("--version", "proxyd " + obp::VersionText(),
                       "print version and build commit");
  std::string config_path;
  auto* config_opt = app.add_option("--config", config_path, "TOML configuration file");
  std::string check_path;
  app.add_option("--check-config", check_path,
                 "check FILE (with the other flags) as a start or a reload would, then exit: "
                 "0 if it is good, 2 with the error otherwise")
      ->excludes(config_opt);
  obp::config::Overrides overrides;
  obp::config::AddOverrideFlags(&app, &overrides);
  CLI11_PARSE(app, argc, argv);

  if (!check_path.empty()) {
    // Only problems are worth a line here (loading a tokens file logs at info).
    spdlog::set_level(spdlog::level::warn);
    if (absl::Status s = obp::CheckConfigFile(check_path, overrides); !s.ok()) {
      std::cerr << "proxyd: " << s.message() << "\n";
      return 2;
    }
    std::cout << "proxyd: " << check_path << ": configuration OK\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "proxyd: --config FILE is required (or --check-config FILE)\n";
    return 2;
  }
  auto config = obp::config::LoadConfig(config_path, overrides);
  if (!config.ok()) {
    std::cerr << "proxyd: " << config.status().message() << "\n";
    return 2;
  }
  if (!config->log_file.empty()) {
    if (absl::Status s = obp::OpenLogFile(config->log_file); !s.ok()) {
      std::cerr << "proxyd: " << s.message() << "\n";
      return 2;
    }
  }
  if (config->log_json) obp::UseJsonLogFormat();
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  spdlog::flush_on(spdlog::level::info);
  // The same checks as --check-config and a reload: TLS files, tokens, fleet file.
  auto prepared = obp::PrepareConfig(*std::move(config), /*generation=*/1);
  if (!prepared.ok()) {
    std::cerr << "proxyd: " << prepared.status().message() << "\n";
    return 2;
  }
  absl::Status s = obp::RunServer(*std::move(prepared), config_path, overrides);
  if (!s.ok()) {
    std::cerr << "proxyd: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
