// The seam between a client session and the statements proxyd answers itself
// (SHOW PROXYSESSION ..., KILL ..., COM_PROCESS_KILL; SPEC §3).
//
// The session owns both interfaces: it offers the handler a ClientPort (who is
// asking, and how to reply), and calls whatever AdminFrontDoor the node installed
// in its ProxyContext. The admin layer implements AdminFrontDoor above the session
// layer, so the session never includes admin, kill or registry code.
//
// Thread rule: both are used on the calling session's executor, for one statement
// at a time.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/session/session_handle.h"
#include "proxyd/sql/admin.h"

namespace obp::session {

// Who runs a proxy statement: the calling session's login.
struct CallerIdentity {
  std::string user;
  std::string tenant;
  bool admin = false;
  uint32_t cs_id = 0;
  std::string host;  // "ip:port" of the client
};

// An integer the session's backend worked out for a proxy statement (KILL's id
// expression): the backend's error as it sent it, or the value (nullopt: NULL).
struct BackendValue {
  std::optional<mysql::ErrPacket> error;
  std::optional<int64_t> value;
};

// What the calling session offers the handler of its proxy statement.
class ClientPort {
 public:
  virtual ~ClientPort() = default;
  virtual const SessionHandle& handle() const = 0;
  virtual CallerIdentity Identity() const = 0;
  // Replies to the statement (sequence id 1).
  virtual asio::awaitable<absl::Status> SendRows(const std::vector<mysql::ColumnDef>& cols,
                                                 const std::vector<mysql::Row>& rows) = 0;
  virtual asio::awaitable<absl::Status> SendOk(absl::string_view info = {}) = 0;
  virtual asio::awaitable<absl::Status> SendError(uint16_t code, absl::string_view sql_state,
                                                  absl::string_view message) = 0;
  // Ends the calling session itself (a KILL of one's own connection, after 1317).
  virtual asio::awaitable<void> EndSelf(SessionEnd why) = 0;
  // `SELECT CAST((expr) AS SIGNED)` on the session's server session (opened if need
  // be), as a statement of the client's own. Aborted: the backend could not be
  // reached and the client has had its error already.
  virtual asio::awaitable<absl::StatusOr<BackendValue>> EvaluateOnBackend(
      absl::string_view expr) = 0;
};

// Answers proxy statements; installed by the node in ProxyContext::admin.
class AdminFrontDoor {
 public:
  virtual ~AdminFrontDoor() = default;
  virtual asio::awaitable<absl::Status> Execute(ClientPort& caller,
                                                const sql::AdminStatement& stmt) = 0;
  // COM_PROCESS_KILL's payload (command byte included).
  virtual asio::awaitable<absl::Status> ProcessKill(ClientPort& caller,
                                                    absl::string_view payload) = 0;
};

}  // namespace obp::session
