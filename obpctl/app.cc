#include "obpctl/app.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/core/build_info.h"
#include "obpctl/commands.h"
#include "obpctl/completion.h"

namespace obp::ctl {
namespace {

constexpr const char* kRootFooter = R"(
Global flags (the ones above) go before or after the command, as with kubectl:
`obpctl --timeout 1s sessions list` and `obpctl sessions list --timeout 1` are
the same. (One exception: after `sessions list`, --node is its node-id filter;
give --node HOST:PORT before `sessions list` there.)

The fleet: --fleet FILE (or OBPCTL_FLEET), --node HOST:PORT (repeatable), or
--discover dns:NAME:PORT (every A/AAAA record is a node); they may be combined.
Every call has a per-node deadline (--timeout, default 2s; a bare number is
seconds); a dead node never hangs the command: the others' answers are still
shown.

Output: an aligned table by default (durations like 3m12s; sessions sorted by
node, then cs_id, unless --sort; history by end time, oldest first). -o json
prints one JSON object:
  sessions list:  {"sessions":[Session...],"errors":[Error...]} (one per line
                  per interval with --watch)
  sessions show:  GetAttributesResponse
  sessions history: {"sessions":[EndedSession...],"nodes":[{"node_id","address",
                  "kept_since","forgotten","history_size"}],"errors":[Error...]}
  nodes:          {"nodes":[{"node_id","address","ok","error","info":GetNodeInfoResponse|null}]}
  version:        {"client":{"version","build_commit"},
                   "nodes":[{"node_id","address","ok","error","version","build_commit"}]}
where Session, EndedSession, GetAttributesResponse and GetNodeInfoResponse are
the proto3 JSON mapping of obproxy.fleet.v1 (protos/obproxy/fleet/v1/session.proto) with
the .proto field names and every field present (64-bit ids as strings,
durations as "12s", times RFC 3339, enums by name; db is absent when NULL and
a duration or time is absent when the node did not set it), and
Error is {"node_id","address","code":"DEADLINE_EXCEEDED","error":"deadline exceeded"}.

Exit codes:
  0  done (a kill whose backend KILL the node could not confirm is done too: the
     session is closed; a warning on stderr says which backend connection; and a
     kill by selector whose session no longer matched and was left alone)
  1  usage error, or the session / node was not found
  2  refused: permission denied, bad token, or an ambiguous --conn-id
  3  partial: some nodes were unreachable or failed (each on stderr as
     "obpctl: node 2 (127.0.0.1:7002): deadline exceeded"); the rest is shown

Examples:
  obpctl --fleet fleet.toml nodes
  obpctl sessions list --user app --fleet fleet.toml
  obpctl --fleet fleet.toml sessions list --watch 2s --sort time
  obpctl --fleet fleet.toml sessions history --since 10m --reason killed
  obpctl --fleet fleet.toml kill --running-over 5m --dry-run
  obpctl --node 127.0.0.1:2884 --node 127.0.0.2:2884 sessions show --cs-id 262145
  obpctl --discover dns:proxyd.obp.svc.cluster.local:2884 kill --conn-id 1234 --reason stuck
  OBPCTL_FLEET=fleet.toml obpctl version
  source <(obpctl completion bash)

Run `obpctl COMMAND --help` for a command's flags and examples.
)";

// Levenshtein distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate closest to `word` if it is close enough to be a typo of it.
std::string Closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::vector<std::string> SubcommandNames(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// "--user", "-o", ... of `cmd` and of the commands above it (whose flags
// fall through to it).
std::vector<std::string> FlagNames(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::App* c = &cmd; c != nullptr; c = c->get_parent()) {
    for (const CLI::Option* opt : c->get_options()) {
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    }
  }
  return names;
}

// A parse error as "obpctl: what went wrong", maybe "did you mean", and the
// --help to read next. Returns the exit code.
int ReportParseError(CLI::App& app, const CLI::ParseError& e, Io io) {
  if (e.get_exit_code() == 0) {  // --help, --help-all, --version
    app.exit(e, io.out, io.err);
    return kExitOk;
  }
  // The error belongs to the deepest command parsed so far.
  CLI::App* cmd = &app;
  std::string path = "obpctl";
  for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) {
    cmd = subs.front();
    absl::StrAppend(&path, " ", cmd->get_name());
  }
  std::string message = e.what(), guess;
  const std::vector<std::string> subcommands = SubcommandNames(*cmd);
  const std::vector<std::string> extras = app.remaining(true);
  // Words nobody took explain the error best. An unknown flag first: its
  // value is among the extras too.
  const auto flag = std::find_if(extras.begin(), extras.end(),
                                 [](const std::string& x) { return absl::StartsWith(x, "-"); });
  if (flag != extras.end()) {
    const std::string name = flag->substr(0, flag->find('='));
    message = absl::StrCat("unknown flag ", name);
    guess = Closest(name, FlagNames(*cmd));
  } else if (!extras.empty() && !subcommands.empty()) {
    message = absl::StrCat("\"", extras[0], "\" is not a command of ", path,
                           "; its commands are: ", absl::StrJoin(subcommands, ", "));
    guess = Closest(extras[0], subcommands);
  } else if (!extras.empty()) {
    message = absl::StrCat("unexpected argument \"", extras[0], "\"");
  } else if (cmd->get_require_subcommand_min() > 0 && cmd->get_subcommands().empty()) {
    message = absl::StrCat(path, " needs a command: ", absl::StrJoin(subcommands, ", "));
  }
  const std::string hint = guess.empty() ? "" : absl::StrCat("did you mean ", guess, "?\n");
  io.err << "obpctl: " << message << "\n"
         << hint << "Run '" << path << " --help' for its flags and examples.\n";
  return kExitUsage;
}

}  // namespace

std::string SubcommandFooter(const std::string& examples) {
  return absl::StrCat(
      "\nExamples:\n", examples,
      "\n\nThe global flags (--fleet, --node, --discover, --timeout, --token, TLS) may come\n"
      "before or after the command; `obpctl --help` lists them with the exit codes\n"
      "(0 done, 1 usage or not found, 2 refused, 3 partial) and the JSON shapes.\n");
}

std::unique_ptr<CLI::App> MakeApp(GlobalFlags& flags, Io io, int* exit_code) {
  auto app = std::make_unique<CLI::App>(
      "obpctl: look at and kill client sessions across a fleet of proxyd nodes", "obpctl");
  app->footer(kRootFooter);
  app->require_subcommand(1);
  // Inherited by every subcommand added below: a flag a subcommand does not
  // know is handed to its parent, so the global flags work after it too.
  app->fallthrough();
  app->set_version_flag("--version", "obpctl " + VersionText(),
                        "print obpctl's version and build commit");
  AddGlobalFlags(*app, flags);
  AddNodesCommand(*app, flags, io, exit_code);
  AddSessionsCommand(*app, flags, io, exit_code);
  AddKillCommand(*app, flags, io, exit_code);
  AddVersionCommand(*app, flags, io, exit_code);
  AddCompletionCommand(*app, io, exit_code);
  return app;
}

int RunObpctl(int argc, const char* const* argv, Io io) {
  GlobalFlags flags;
  int exit_code = kExitUsage;
  auto app = MakeApp(flags, io, &exit_code);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(*app, e, io);
  }
  return exit_code;
}

}  // namespace obp::ctl
