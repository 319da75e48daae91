// The obpctl subcommands. Each Add*Command registers its CLI11 subcommand on
// `app`; when that subcommand runs, it builds a FleetClient from `flags`,
// does its work, writes to io and stores its exit code (report.h) in
// *exit_code. Used from main's thread only.
#ifndef OBP_OBPCTL_COMMANDS_H_
#define OBP_OBPCTL_COMMANDS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "obpctl/fleet_args.h"
#include "obpctl/report.h"

namespace obp::ctl {

// obpctl nodes [-o table|json], and obpctl nodes drain (AddDrainCommand)
void AddNodesCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code);
// obpctl nodes drain ID [--timeout D] [-o text|json], on the `nodes` command.
void AddDrainCommand(CLI::App& nodes, const GlobalFlags& flags, Io io, int* exit_code);
// obpctl sessions list|show ..., and sessions history (AddHistoryCommand)
void AddSessionsCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code);
// obpctl sessions history [--since D] [filters] [-o table|wide|json], on `sessions`.
void AddHistoryCommand(CLI::App& sessions, const GlobalFlags& flags, Io io, int* exit_code);
// obpctl kill ...
void AddKillCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code);
// obpctl version [--client] [-o table|json]
void AddVersionCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code);
// (obpctl completion bash|zsh is in completion.h.)

// The footer of a subcommand's --help: "Examples:", `examples` (indented
// lines, comments allowed), then where the global flags and exit codes are.
std::string SubcommandFooter(const std::string& examples);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_COMMANDS_H_
