// Server: one proxyd node's lifetime: data-plane threads and listeners, the session
// registry, the gRPC control plane, and the drain on SIGTERM/SIGINT (stop
// accepting, let sessions end when idle, kill the rest at drain_timeout_s, exit).
//
// Thread rule: Run() from the main thread; it returns when the node has stopped.
#pragma once

#include "absl/status/status.h"
#include "proxyd/config/config.h"

namespace obp {

// Runs a node until SIGTERM/SIGINT has drained it (or SIGQUIT). Returns an error if
// it could not start.
absl::Status RunServer(const config::ProxyConfig& config);

}  // namespace obp
