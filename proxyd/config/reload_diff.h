// What a configuration reload (SPEC §8 "Reload") may change, and a description of
// what it did change, for the one log line each reload writes.
//
// Some keys are fixed for the life of the process because something built from
// them at start cannot be rebuilt under running sessions: the sockets bound
// (`listen`, `listen_socket`, `grpc_listen`, and the gRPC server's [grpc_tls] and
// call limit), the io threads and their pools (`threads`, `pool_*`), the node's
// identity (`node_id`, which every cs_id carries), the log file and the greeting's
// `server_version`. A reload keeps their running values and reports the ones the
// new file tried to change.
//
// Thread rule: pure functions, callable from any thread.
#pragma once

#include <string>
#include <vector>

#include "proxyd/config/config.h"

namespace obp::config {

// The restart-only keys, in the order they are reported.
const std::vector<std::string>& RestartOnlyKeys();

// Copies every restart-only key of `running` into `next`. Returns those whose value
// in `next` differed, as "key (running -> ignored)" texts, e.g.
// `listen (127.0.0.1:2883 -> 127.0.0.1:2999)`.
std::vector<std::string> KeepRestartOnly(const ProxyConfig& running, ProxyConfig& next);

// What changed from `before` to `after`, one short item each: "users 3->4",
// "tenants changed" (same count, other content), "log_level info->debug",
// "sql_tls files changed". Empty when nothing did.
std::vector<std::string> DescribeChanges(const ProxyConfig& before, const ProxyConfig& after);

}  // namespace obp::config
