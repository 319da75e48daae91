// Server: one proxyd node's lifetime: data-plane threads and listeners, the session
// registry, the gRPC control plane, configuration reload on SIGHUP, and the drain
// on SIGTERM/SIGINT (stop accepting, let sessions end when idle, kill the rest at
// drain_timeout_s, exit).
//
// Thread rule: Run() from the main thread; it returns when the node has stopped.
#pragma once

#include "absl/status/status.h"
#include "proxyd/config/config.h"
#include "proxyd/reload.h"

namespace obp {

// Runs a node until SIGTERM/SIGINT has drained it (or SIGQUIT), with `prepared`
// (PrepareConfig of the file `config_path` read with the command line's
// `overrides`; a SIGHUP reads both again). Returns an error if it could not start.
absl::Status RunServer(PreparedConfig prepared, const std::string& config_path,
                       const config::Overrides& overrides);

}  // namespace obp
