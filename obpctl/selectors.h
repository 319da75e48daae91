// Which live sessions `sessions list` and `kill` pick: their selector flags
// (--user, --tenant, --db, --state, --host, --idle-over and the statement
// selectors --running-over, --statement, --command of SPEC §9) turned into
// one SessionFilter, which the nodes apply (and, for a kill, re-check at the
// kill through KillSessionRequest.only_if).
// Plain values and pure functions; used from main's thread.
#ifndef OBP_OBPCTL_SELECTORS_H_
#define OBP_OBPCTL_SELECTORS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "common/fleet_client/fleet_client.h"

namespace obp::ctl {

// The flags as typed; empty = not given.
struct Selector {
  std::string user, tenant, db, state, host, idle_over;
  std::string running_over, statement, command;

  bool Empty() const;
  // --running-over, --statement or --command: only sessions executing now.
  bool HasStatementSelector() const;
};

// INVALID_ARGUMENT (naming the flag) for an unknown --state or a malformed
// duration. A statement selector's node-side rule: it matches only sessions
// executing a command (the proto's SessionFilter).
absl::StatusOr<fleet::pb::SessionFilter> BuildSessionFilter(const Selector& s);

// Registers --running-over, --statement and --command on `cmd`; `prefix` goes
// before each description, which goes on "statement running at least ..."
// ("only sessions with a ", "selector: sessions with a ").
void AddStatementSelectorFlags(CLI::App& cmd, Selector& s, const std::string& prefix);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_SELECTORS_H_
