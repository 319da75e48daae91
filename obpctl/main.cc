// obpctl: the operators' CLI for a fleet of proxyd nodes (SPEC §5). Parses
// the global flags and one subcommand, runs it, and exits with its code.
#include <iostream>

#include "CLI/CLI.hpp"
#include "obpctl/commands.h"
#include "obpctl/fleet_args.h"
#include "obpctl/report.h"

namespace {

constexpr const char* kFooter = R"(
The fleet: --fleet FILE (or OBPCTL_FLEET), --node HOST:PORT (repeatable), or
--discover dns:NAME:PORT (every A/AAAA record is a node); they may be combined.
Every call has a per-node deadline (--timeout, default 2s); a dead node never
hangs the command: the others' answers are still shown.

Output: an aligned table by default (durations like 3m12s; sessions sorted by
node, then cs_id). -o json prints one JSON object:
  sessions list:  {"sessions":[Session...],"errors":[Error...]}
  sessions show:  GetAttributesResponse
  nodes:          {"nodes":[{"node_id","address","ok","error","info":GetNodeInfoResponse|null}]}
where Session, GetAttributesResponse and GetNodeInfoResponse are the proto3
JSON mapping of obproxy.fleet.v1 (protos/obproxy/fleet/v1/session.proto) with
the .proto field names and every field present (64-bit ids as strings,
durations as "12s", times RFC 3339, enums by name; db is absent when NULL and
a duration or time is absent when the node did not set it), and
Error is {"node_id","address","code":"DEADLINE_EXCEEDED","error":"deadline exceeded"}.

Exit codes:
  0  done
  1  usage error, or the session / node was not found
  2  refused: permission denied, bad token, or an ambiguous --conn-id
  3  partial: some nodes were unreachable or failed (each on stderr as
     "obpctl: node 2 (127.0.0.1:7002): deadline exceeded"); the rest is shown
)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"obpctl: look at and kill client sessions across a fleet of proxyd nodes"};
  app.footer(kFooter);
  app.require_subcommand(1);
  obp::ctl::GlobalFlags flags;
  obp::ctl::AddGlobalFlags(app, flags);
  obp::ctl::Io io{std::cout, std::cerr};
  int exit_code = obp::ctl::kExitUsage;
  obp::ctl::AddNodesCommand(app, flags, io, &exit_code);
  obp::ctl::AddSessionsCommand(app, flags, io, &exit_code);
  obp::ctl::AddKillCommand(app, flags, io, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends exit 0; every other parse error is a usage error.
    const int rc = app.exit(e);
    return rc == 0 ? obp::ctl::kExitOk : obp::ctl::kExitUsage;
  }
  return exit_code;
}
