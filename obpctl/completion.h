// Shell completion for obpctl, generated from the CLI11 command tree so that
// it cannot drift from the flags. `obpctl completion bash|zsh` prints a script
// that completes subcommands, flags (a command's own and the global ones,
// which obpctl accepts anywhere on the line) and flag values where they are
// known: the choices of -o and the like, file names for FILE flags.
// Pure functions of the App; used from main's thread.
#ifndef OBP_OBPCTL_COMPLETION_H_
#define OBP_OBPCTL_COMPLETION_H_

#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "obpctl/report.h"

namespace obp::ctl {

struct CompletionFlag {
  std::vector<std::string> names;  // "-o", "--output"
  // What it takes: "" nothing (a flag), "file" a file name, "any" a value
  // nobody can guess, else its choices joined by '|' ("table|wide|json").
  std::string kind;
  std::string help;
};

struct CompletionCommand {
  std::string path;  // "" for obpctl itself, "sessions list" for a nested one
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, description
  std::vector<CompletionFlag> flags;  // its own, then its parents' (the global ones)
  std::vector<std::string> args;      // the choices of its positional argument
};

// Every command of the tree under `root`, parents before children.
std::vector<CompletionCommand> DescribeCommands(const CLI::App& root);

// The scripts `obpctl completion bash` and `obpctl completion zsh` print.
std::string BashCompletion(const CLI::App& root);
std::string ZshCompletion(const CLI::App& root);

// obpctl completion bash|zsh. `root` must outlive the parse.
void AddCompletionCommand(CLI::App& root, Io io, int* exit_code);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_COMPLETION_H_
