// SessionInfo: a copy of what other threads may know about a client session (SHOW
// PROXYSESSION, the gRPC service, the kill path). The owning thread publishes it at
// command boundaries and when server sessions open or close, into its
// SessionHandle; readers copy it under the handle's own lock (never a global one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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
  bool using_ssl = false;  // the backend leg is TLS
};

struct SessionInfo {
  // proxy_sessid, cs_id, host_ip, host_port, tid and created are the handle's
  // facts, filled by SessionHandle::Info.
  uint64_t proxy_sessid = 0;
  uint32_t cs_id = 0;
  std::string cluster, tenant, user;
  std::string host_ip;
  uint16_t host_port = 0;
  bool admin = false;
  bool using_ssl = false;  // the client leg is TLS
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
  // Filled by SessionHandle::Info at copy time, from the handle's facts and counters
  // (the snapshot itself does not keep them):
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
};

// The Host of a listen_socket client (SPEC §2), whose port is 0.
inline constexpr absl::string_view kLocalHost = "localhost";
// "ip:port", or "localhost" for a listen_socket client.
std::string ClientHostText(absl::string_view ip, uint16_t port);

// NotFound "Unknown thread id: <id>", what MySQL says (1094) of an id it does not
// know or will not show.
absl::Status UnknownThreadId(uint64_t id);

}  // namespace obp::session
