// The obpctl command line as a whole: the global flags, which obpctl accepts
// before or after the subcommand (as kubectl does), every subcommand, the
// --help texts, and parse errors turned into a message that says what to do
// next and exit code 1. main() is RunObpctl(); tests build the same tree.
// Used from main's thread only.
#ifndef OBP_OBPCTL_APP_H_
#define OBP_OBPCTL_APP_H_

#include <memory>

#include "CLI/CLI.hpp"
#include "obpctl/fleet_args.h"
#include "obpctl/report.h"

namespace obp::ctl {

// The root App with every subcommand registered. The subcommands read
// `flags` and write `*exit_code` when they run; both must outlive the App.
std::unique_ptr<CLI::App> MakeApp(GlobalFlags& flags, Io io, int* exit_code);

// Parses argv, runs the chosen command and returns obpctl's exit code.
int RunObpctl(int argc, const char* const* argv, Io io);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_APP_H_
