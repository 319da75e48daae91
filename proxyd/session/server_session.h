// ServerSession: one backend connection owned by a client session (SPEC §1 ss_id).
//
// It logs in to the backend as the client's user from the SHA1(password) that the
// client's own login proved (so no clear password is needed), keeps what state it
// has been given (database, SET items) to replay only differences, and maps the
// client session's prepared-statement ids to this backend's ids.
//
// Thread rule: owned by its client session; used only on that session's io_context.
// The fields read by other threads (for SHOW PROXYSESSION) are copied into the
// client session's published info by the owner, never read here directly.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proxyd/config/config.h"
#include "proxyd/mysql/handshake.h"
#include "proxyd/mysql/response_scanner.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/net/packet_conn.h"
#include "proxyd/session/session_state.h"

namespace obp::session {

// What a server session needs to log in on behalf of a client.
struct LoginParams {
  std::string user;
  std::string stage1;      // SHA1(password), 20 bytes; empty for an empty password
  uint32_t caps = 0;       // capabilities negotiated with the client
  uint32_t ext_caps = 0;   // MariaDB extended capabilities negotiated with the client
  uint8_t charset = 45;    // the client's login character set
  std::string database;    // selected at login when not empty
  std::string connect_attrs;
  // SPEC §2: the backend's TLS context (ProxyContext::BackendTls), null when its
  // `tls` is off. With one, the login goes through TLS and fails if the backend
  // does not offer it.
  asio::ssl::context* tls = nullptr;
};

enum class ServerState { kInit, kActive, kIdle };  // MSS_INIT, MSS_ACTIVE, MSS_KA_CLIENT_SLAVE

struct PreparedOnBackend {
  uint32_t backend_id = 0;
  bool types_sent = false;  // the backend has seen parameter types for it
};

// The outcome of a command run by the proxy itself on a server session.
struct CommandResult {
  bool is_error = false;
  mysql::ErrPacket error;
  uint16_t status_flags = 0;
  uint32_t stmt_id = 0;  // for COM_STMT_PREPARE
};

class ServerSession {
 public:
  ServerSession(uint32_t ss_id, const config::Backend& backend, asio::any_io_executor ex);

  // Connects and logs in within `timeout`. On failure the status message is the
  // REASON of SPEC §2's 2003 error.
  asio::awaitable<absl::Status> Connect(const LoginParams& login, absl::Duration timeout);

  // Runs one command the proxy issues itself (replay, re-prepare, KILL) and drains
  // its response. Errors returned are transport/protocol errors; a MySQL ERR reply
  // comes back in CommandResult.
  asio::awaitable<absl::StatusOr<CommandResult>> Run(absl::string_view payload,
                                                     mysql::ResponseKind kind);
  // One COM_QUERY whose reply is a result set: the first column of its first row
  // (nullopt: NULL, or no row), or the backend's error in `error`.
  struct QueryValue {
    std::optional<mysql::ErrPacket> error;
    std::optional<std::string> value;
  };
  asio::awaitable<absl::StatusOr<QueryValue>> QueryFirstValue(absl::string_view sql);
  // The same for a query that leaves no state behind (it does not mark the session
  // for a reset): every column's definition and the first row (empty: no row). A
  // first row of 16 MiB or more is read and dropped, and reported in `error`.
  struct QueryRow {
    std::optional<mysql::ErrPacket> error;
    std::vector<mysql::ColumnDef> columns;
    mysql::Row row;
  };
  asio::awaitable<absl::StatusOr<QueryRow>> QueryFirstRow(absl::string_view sql);
  // COM_RESET_CONNECTION: the backend rolls back, drops prepared statements, user
  // variables and SET changes and restores the login character set, keeping the
  // database; `applied`, `stmts` and `in_transaction` follow. An ERR reply is an
  // error here too: the caller drops the connection either way.
  asio::awaitable<absl::Status> Reset();
  // Brings the backend's session state to `want` (at most two round trips).
  asio::awaitable<absl::Status> Sync(const StateSnapshot& want);

  net::PacketConn& conn() { return conn_; }
  bool tls() const { return conn_.tls(); }
  uint32_t ss_id() const { return ss_id_; }
  const config::Backend& backend() const { return *backend_; }
  // SPEC §8 Reload: `owner` keeps `backend` alive (the configuration generation it
  // belongs to) for as long as this server session exists, pooled or not. A
  // client session taking a pooled connection rebinds it to the same backend of
  // its own generation (PoolKey says they are alike).
  void Rebind(const config::Backend& backend, std::shared_ptr<const void> owner) {
    backend_ = &backend;
    owner_ = std::move(owner);
  }
  uint32_t connection_id() const { return connection_id_; }
  uint32_t caps() const { return caps_; }
  const std::string& server_version() const { return server_version_; }
  const std::string& server_ip() const { return server_ip_; }  // resolved at connect
  uint16_t server_port() const;
  mysql::ResponseScanner& scanner() { return scanner_; }
  // The backend's ERR when Connect or Sync failed because the backend said no.
  const std::optional<mysql::ErrPacket>& backend_error() const { return backend_error_; }

  // Time since the last reply finished (see MarkIdle); steady clock, no syscall.
  std::chrono::steady_clock::duration IdleFor() const {
    return std::chrono::steady_clock::now() - idle_since_;
  }
  void MarkIdle() { idle_since_ = std::chrono::steady_clock::now(); }
  // True when the backend may have closed this idle connection (wait_timeout, a
  // DBA's KILL) and a non-blocking peek says it did. Peeks only after a pause:
  // the peek was one of ~5.5 system calls per statement (bench/syscalls.py), and
  // a close within the pause is the same race a close right after a peek always
  // was (the client gets 2013, the session goes on).
  bool LikelyGone() {
    return IdleFor() >= kRecheckIdleAfter && conn_.PeerGoneOrChatty();
  }
  static constexpr std::chrono::milliseconds kRecheckIdleAfter{50};

  ServerState state = ServerState::kInit;
  bool in_transaction = false;
  // sql::HeldBit: temporary tables, named and table locks this server session
  // holds, which a new connection could not rebuild (SPEC §2 "Nothing is lost
  // silently"). Set from the statements it ran; cleared by a reset.
  uint8_t held = 0;
  // Names of the SQL prepared statements (PREPARE s FROM ..) it holds: like `held`,
  // what a new connection would lack. Cleared by a reset.
  std::set<std::string> sql_prepared;
  bool killed = false;  // ended by a kill; the owner drops it when it next looks
  bool from_pool = false;  // reused from the node's pool rather than opened for this client
  // ProxyContext::globals_epoch when this connection last took its session defaults
  // from the backend's globals (its login or its last reset).
  uint64_t globals_epoch = 0;
  // ProxyContext::packet_limit_epoch when this connection logged in.
  uint64_t packet_limit_epoch = 0;
  // Something sent on this connection since its login or last reset may have
  // left state in the server session (variables, locks, temporary tables,
  // prepared statements, warnings): reset before another client uses it.
  // Stays false only while every statement passed sql::LeavesNoSessionState
  // and ended without error or warning.
  bool needs_reset = false;
  uint64_t transact_count = 0;
  StateSnapshot applied;
  absl::flat_hash_map<uint32_t, PreparedOnBackend> stmts;  // by proxy stmt id

 private:
  asio::awaitable<absl::Status> Login(const LoginParams& login);
  // After the greeting: SSLRequest, then the TLS handshake, checking the backend's
  // certificate as its `tls` mode says. *seq is the next sequence id, advanced.
  asio::awaitable<absl::Status> StartTls(asio::ssl::context& tls, uint32_t server_caps,
                                         uint8_t charset, uint8_t* seq);

  uint32_t ss_id_;
  std::chrono::steady_clock::time_point idle_since_{};  // epoch: check before first use
  const config::Backend* backend_;
  std::shared_ptr<const void> owner_;  // keeps *backend_ alive (see Rebind)
  net::PacketConn conn_;
  uint32_t connection_id_ = 0;
  uint32_t caps_ = 0;
  uint32_t ext_caps_ = 0;
  std::string server_version_;
  std::string server_ip_;
  mysql::ResponseScanner scanner_;
  std::optional<mysql::ErrPacket> backend_error_;
};

// Capabilities proxyd offers clients whatever the backend. Every one is passed
// through to server sessions unchanged, so both sides agree on the wire format
// (EOF/OK, multi results). Compression is never offered; SSL, session tracking and
// MariaDB's extended capabilities are added when available (ClientSession::
// OfferedCapabilities).
uint32_t ProxyServerCapabilities();

// SPEC §2 Capabilities: MariaDB's extended capabilities carried end to end, when
// the backend has them: extended metadata (a column's type name and format, e.g.
// JSON) and COM_STMT_BULK_EXECUTE. Not offered: metadata caching and bulk unit
// results (both change replies in ways proxyd's own replies and scanner would
// have to follow), progress reports and COM_MULTI.
inline constexpr uint32_t kProxyExtCapabilities =
    mysql::kMariaDbClientStmtBulkOperations | mysql::kMariaDbClientExtendedMetadata;

// Probes a backend's greeting (version, capabilities) without logging in.
asio::awaitable<absl::StatusOr<mysql::InitialHandshake>> ProbeBackend(
    asio::any_io_executor ex, const config::Backend& backend, absl::Duration timeout);

}  // namespace obp::session
