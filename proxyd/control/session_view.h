// SessionView: a client session as the node shows it, computed once from its
// published snapshot for both front doors: the SQL rows of SHOW PROXYSESSION
// [ATTRIBUTE|VARIABLES] (SPEC §3, proxyd/admin) and the Session message of the
// gRPC service (SPEC §4, proxyd/rpc). Everything derived (the client's "ip:port",
// state names, whether it is executing, idle and statement times) is decided here,
// so the two can only differ in format.
//
// Also the one listing both use: the sessions a caller may see, in cs_id order.
//
// Thread rule: pure functions of their arguments; ListVisible reads the registry,
// which is safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/registry.h"
#include "proxyd/session/session_info.h"

namespace obp::control {

struct ServerSessionView {
  uint32_t ss_id = 0;
  std::string backend;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string server_address;  // "ip:port"
  uint32_t connection_id = 0;
  const char* state = "";      // "MSS_..."
  uint64_t transact_count = 0;
  bool in_transaction = false;
  bool in_use = false;
  bool from_pool = false;
  bool using_ssl = false;  // SPEC §2: the backend leg is TLS
};

struct SessionView {
  uint64_t proxy_sessid = 0;
  uint32_t cs_id = 0;
  uint32_t node_id = 0;
  std::string cluster, tenant, user;
  std::string host_ip;
  uint16_t host_port = 0;
  std::string client_host;     // "ip:port"
  std::optional<std::string> db;
  uint64_t trans_count = 0;
  uint32_t server_session_count = 0;
  const char* state = "";      // "MCS_..."
  bool active = false;         // executing a command
  int tid = 0;
  int pid = 0;
  bool using_ssl = false;
  absl::Time created;
  absl::Time last_active;
  absl::Duration idle;         // zero while active
  std::string current_command;
  std::optional<std::string> current_statement;  // only while active
  absl::Duration statement_time;                 // zero when idle
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
  std::vector<ServerSessionView> servers;
};

SessionView ViewOf(const session::SessionInfo& info, uint32_t node_id, int pid, absl::Time now);

// One SHOW PROXYSESSION VARIABLES row / gRPC Variable.
struct VariableView {
  std::string name, value, info, modified_type, flag;
};
// The tracked variables of a session: the changed ones, and with `all` also those
// at their defaults.
std::vector<VariableView> VariablesOf(const session::SessionInfo& info, bool all);

// Sessions visible to `caller` with cs_id > `after` for which `keep` (if set) is
// true, ordered by cs_id, at most `limit` of them. Sessions still logging in
// (MCS_INIT, empty user) are visible to admins only (SPEC §2). Handles are sorted by cs_id first, so no more than
// `limit` snapshots (plus those filtered out) are copied however many sessions
// the node has.
std::vector<session::SessionInfo> ListVisible(
    const SessionRegistry& registry, const Caller& caller, uint32_t after = 0,
    const std::function<bool(const session::SessionInfo&)>& keep = nullptr,
    size_t limit = SIZE_MAX);

}  // namespace obp::control
