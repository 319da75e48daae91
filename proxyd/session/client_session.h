// ClientSession: one client connection to this node (SPEC §1 cs_id) and the server
// sessions it owns.
//
// It runs as one coroutine on one io_context: login, then a loop of commands, each
// routed to a server session (opened lazily, state replayed before use) with the
// response streamed back chunk by chunk. Statements addressed to the proxy itself
// go to the admin handler.
//
// Thread rule: everything but the methods marked "any thread" runs on executor().
// Other threads learn about the session only through Info() (a copy taken under the
// session's own mutex) and act on it only by posting to executor().
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/core/mutex.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/net/packet_conn.h"
#include "proxyd/session/proxy_context.h"
#include "proxyd/session/server_session.h"
#include "proxyd/session/session_info.h"
#include "proxyd/session/session_state.h"

namespace obp::admin { class AdminHandler; }

namespace obp::session {

// What a statement in flight changes in the session if the backend accepts it.
struct StatementEffect {
  enum Kind { kNone, kUse, kSet, kInitDb } kind = kNone;
  std::string text;  // the statement body (USE, SET) or the database (COM_INIT_DB)
};

struct PreparedStatement {
  std::string sql;
  int backend = 0;          // index in the tenant's backends where it was prepared
  uint16_t num_params = 0;
  uint16_t num_columns = 0;
  std::string param_types;  // 2 bytes per param, from the last EXECUTE that sent them
  int cursor_backend = -1;  // server session holding an open cursor
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  // peer: the client's address as accept returned it.
  ClientSession(ProxyContext* ctx, asio::ip::tcp::socket socket,
                const asio::ip::tcp::endpoint& peer, int thread_index);
  ~ClientSession();

  // Registers the session and runs it to the end. Call once, co_spawned on the
  // socket's executor.
  asio::awaitable<void> Run();

  asio::any_io_executor executor() { return executor_; }
  uint32_t cs_id() const { return cs_id_; }  // any thread, once registered

  // Any thread: a copy of the published info plus current counters.
  SessionInfo Info() const;

  // --- For the kill path (proxyd/kill), on executor() only. ---
  // Ends the session: closes the client socket and every server session, after
  // ending busy/in-transaction ones on their backend. `reason` is logged.
  asio::awaitable<void> Terminate(std::string reason);
  // Ends one server session; the client session survives (SPEC KILL PROXYSESSION id ss_id).
  asio::awaitable<absl::Status> TerminateServerSession(uint32_t ss_id);
  // Interrupts the statement in flight, if any (SPEC KILL QUERY).
  asio::awaitable<absl::Status> InterruptQuery();
  // Login data of this session for a control connection to one of its backends.
  LoginParams ControlLogin() const;
  const config::Tenant* tenant() const { return tenant_; }

 private:
  friend class admin::AdminHandler;

  // Login (client_login.cc)
  asio::awaitable<absl::Status> Login();
  asio::awaitable<absl::Status> SendAccessDenied(uint8_t seq, absl::string_view user, bool used_password);

  // Commands (client_query.cc)
  asio::awaitable<absl::Status> CommandLoop();
  asio::awaitable<absl::Status> Dispatch(const net::Packet& first);
  asio::awaitable<absl::Status> HandleQuery(const net::Packet& first);
  asio::awaitable<absl::Status> HandleInitDb(const net::Packet& first);
  asio::awaitable<absl::Status> HandleResetConnection();
  asio::awaitable<absl::Status> ForwardSimple(const net::Packet& first, mysql::ResponseKind kind);
  // Picks the server session for a statement: the pinned one inside a transaction,
  // else `hint` or the tenant's first backend. Sends the client an error and
  // returns nullptr when it can't.
  asio::awaitable<ServerSession*> Route(const std::optional<std::string>& hint, int prefer = -1);
  asio::awaitable<absl::StatusOr<ServerSession*>> Acquire(int backend_index);
  // Sends `raw` (framed packets) to `ss` and streams the response to the client.
  // `stateless`: the command passed sql::LeavesNoSessionState; anything else marks
  // `ss` as needing a reset before it is pooled (ServerSession::needs_reset).
  asio::awaitable<absl::Status> Forward(ServerSession* ss, absl::string_view raw,
                                        const net::Packet* first, mysql::ResponseKind kind,
                                        bool stateless = false);
  // Forward for COM_STMT_PREPARE: the first reply packet carries the backend's
  // statement id, which the client must see as the session's own id.
  asio::awaitable<absl::Status> ForwardPrepare(ServerSession* ss, const net::Packet& first,
                                               absl::string_view sql);
  asio::awaitable<absl::Status> StreamResponse(ServerSession* ss, mysql::ResponseKind kind,
                                               bool reset = true);
  // Bookkeeping once `ss` has sent its whole reply, run before the reply's last
  // bytes go to the client: transaction flags, the statement's effect, and the
  // published info.
  void FinishStatement(ServerSession* ss);
  void AfterResponse(ServerSession* ss);
  void ApplyEffect(ServerSession* ss);
  void DropServerSession(int backend_index);
  // At the end of a session that was not killed: server sessions that are idle,
  // outside a transaction and clean are reset and handed to the node's pool; the
  // others are closed.
  asio::awaitable<void> ReleaseServerSessions();
  PoolKey PoolKeyFor(int backend_index) const;
  // True while `ss` is still one of this session's server sessions (Forward may
  // have dropped it: killed, or its backend went away).
  bool Owns(const ServerSession* ss) const;

  // Prepared statements (client_stmt.cc)
  asio::awaitable<absl::Status> HandleStmtPrepare(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtExecute(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtFetch(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtLongData(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtClose(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtReset(const net::Packet& first);
  asio::awaitable<absl::Status> EnsurePrepared(ServerSession* ss, uint32_t id, PreparedStatement& ps);

  // Replies
  asio::awaitable<absl::Status> SendError(uint8_t seq, uint16_t code, absl::string_view state,
                                          absl::string_view message);
  asio::awaitable<absl::Status> SendOk(uint8_t seq, uint64_t affected = 0);
  uint16_t StatusFlags() const;

  // Publishing for other threads (client_session.cc)
  void Publish();
  // Whether info_ already holds everything Publish would rebuild.
  bool PublishedIsCurrent() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(info_mu_);
  // Cheap per-statement update of one server session's published state.
  void PublishServerState(const ServerSession* ss);
  void SetCommand(absl::string_view command, absl::string_view statement);

  ProxyContext* ctx_;
  asio::any_io_executor executor_;
  net::PacketConn client_;
  int thread_index_;
  uint32_t cs_id_ = 0;
  uint64_t proxy_sessid_ = 0;
  std::string host_ip_;
  uint16_t host_port_ = 0;
  absl::Time created_;

  // Set by Login.
  const config::User* user_ = nullptr;
  const config::Tenant* tenant_ = nullptr;
  std::string stage1_;
  uint32_t caps_ = 0;
  uint8_t charset_ = 45;
  std::string connect_attrs_;
  // libmariadb >= 3.3 (the mariadb CLI) turns a server-sent error code in the
  // client range 2000..2999 into "2027 Received malformed packet", losing the
  // message; such clients get the server-range equivalent instead (see SendError).
  bool remap_client_range_errors_ = false;

  StateSnapshot state_;
  std::vector<std::unique_ptr<ServerSession>> servers_;  // by backend index
  int pinned_ = -1;   // backend index holding an open transaction
  int current_ = -1;  // backend index last used
  uint64_t total_trans_ = 0;
  absl::flat_hash_map<uint32_t, PreparedStatement> stmts_;
  uint32_t next_stmt_id_ = 1;
  std::optional<mysql::ErrPacket> pending_error_;  // reported on the next statement
  std::optional<mysql::ErrPacket> last_backend_error_;  // why the last Acquire failed, if a backend said
  bool busy_ = false;   // a statement is being forwarded
  StatementEffect effect_;  // of the statement in flight
  bool finished_ = false;   // FinishStatement ran for the current command
  bool closing_ = false;
  std::string last_statement_;

  mutable obp::Mutex info_mu_;
  SessionInfo info_ ABSL_GUARDED_BY(info_mu_);
};

// Coroutines that own a reference for their whole run: co_spawn these, never a
// member coroutine on a session that only the caller's local pointer keeps alive.
asio::awaitable<void> RunSession(std::shared_ptr<ClientSession> session);
asio::awaitable<void> TerminateSession(std::shared_ptr<ClientSession> session, std::string reason);

}  // namespace obp::session
