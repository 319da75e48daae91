// SessionInfo: a copy of what other threads may know about a client session (SHOW
// PROXYSESSION, the gRPC service, the kill path). The owning thread publishes it at
// command boundaries and when server sessions open or close; readers copy it under
// the session's own mutex (never a global one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proxyd/session/server_session.h"

namespace obp::session {

enum class ClientState { kInit, kActiveReader, kKeepAlive, kHalfClosed, kClosed };
const char* ClientStateName(ClientState s);   // "MCS_INIT", ...
const char* ServerStateName(ServerState s);   // "MSS_INIT", ...

struct ServerSessionInfo {
  uint32_t ss_id = 0;
  std::string backend;
  std::string server_ip;
  uint16_t server_port = 0;
  uint32_t connection_id = 0;
  ServerState state = ServerState::kInit;
  uint64_t transact_count = 0;
  bool in_transaction = false;
  bool in_use = false;  // the "curr used ss"
  bool from_pool = false;
};

struct SessionInfo {
  uint64_t proxy_sessid = 0;
  uint32_t cs_id = 0;
  std::string cluster, tenant, user;
  std::string host_ip;
  uint16_t host_port = 0;
  bool admin = false;
  std::optional<std::string> db;
  uint64_t total_trans = 0;
  ClientState state = ClientState::kInit;
  int tid = 0;
  absl::Time created;
  absl::Time last_active;
  std::string current_command;    // "Query", "Sleep", ...
  std::string current_statement;  // first 1024 bytes
  absl::Time statement_start;
  std::vector<ServerSessionInfo> servers;
  StateSnapshot vars;  // tracked session state, for SHOW PROXYSESSION VARIABLES
  // Filled by the reader from the session's counters at copy time:
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
};

}  // namespace obp::session
