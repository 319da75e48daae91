// Server: one proxyd node's lifetime: data-plane threads and listeners, the session
// registry, the gRPC control plane, and an orderly stop on SIGTERM/SIGINT (stop
// accepting, end every session, then exit).
//
// Thread rule: Run() from the main thread; it returns when the node has stopped.
#pragma once

#include "absl/status/status.h"
#include "proxyd/config/config.h"

namespace obp {

// Runs a node until SIGTERM/SIGINT. Returns an error if it could not start.
absl::Status RunServer(const config::ProxyConfig& config);

}  // namespace obp
