// ClientSession: one client connection to this node (SPEC §1 cs_id) and the server
// sessions it owns.
//
// It runs as one coroutine on one io_context: login, then a loop of commands, each
// routed to a server session (opened lazily, state replayed before use) with the
// response streamed back chunk by chunk. Statements addressed to the proxy itself
// go to the node's AdminFrontDoor, which sees this session as a ClientPort.
//
// Other layers never hold a ClientSession: they hold its SessionHandle (published
// facts, counters and snapshot, and the kill verbs, which call this class's
// SessionControl methods on its executor). Only the node that accepted the
// connection holds the session itself, to run it.
//
// Thread rule: everything runs on the handle's executor.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
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
#include "proxyd/mysql/packets.h"
#include "proxyd/net/packet_conn.h"
#include "proxyd/session/admin_front_door.h"
#include "proxyd/session/proxy_context.h"
#include "proxyd/session/server_session.h"
#include "proxyd/session/session_handle.h"
#include "proxyd/session/session_info.h"
#include "proxyd/session/session_state.h"
#include "proxyd/session/statement_ticker.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/held_state.h"
#include "proxyd/sql/split.h"

namespace obp::session {

// What a statement in flight changes in the session if the backend accepts it.
struct StatementEffect {
  enum Kind { kNone, kUse, kSet, kInitDb, kDropDb } kind = kNone;
  // the statement body (USE, SET, DROP DATABASE) or the database (COM_INIT_DB)
  std::string text;
};

// How the replies to one part of a multi-statement query are framed when proxyd
// answers the query in parts (client_multi.cc): numbered after the parts before
// it, flagged when more results follow. Idle (all zero) for any other command.
struct ReplyShape {
  uint8_t seq_offset = 0;  // added to the sequence id of every reply packet
  bool more = false;       // the part's final OK/EOF carries kServerMoreResultsExists
  uint8_t next_seq = 1;    // the client's next expected sequence id, after this part
  bool failed = false;     // the part was answered with an error: the query stops
  bool active() const { return seq_offset != 0 || more; }
};

// A user proven by a login or a change of user.
struct Account {
  const config::User* user = nullptr;
  const config::Tenant* tenant = nullptr;
  std::string stage1;  // SHA1(password): logs in to the tenant's backends
};

struct PreparedStatement {
  std::string sql;
  int backend = 0;          // index in the tenant's backends where it was prepared
  uint16_t num_params = 0;
  uint16_t num_columns = 0;
  std::string param_types;  // 2 bytes per param, from the last EXECUTE that sent them
  int cursor_backend = -1;  // server session holding an open cursor
  // What each execution leaves held (a temporary table, `SELECT @n := ?`), scanned
  // once at prepare rather than at every execute.
  sql::HeldChange held;
};

class ClientSession final : public SessionControl,
                            private ClientPort,
                            private StatementTicker::Member,
                            public std::enable_shared_from_this<ClientSession> {
 public:
  // peer: the client's address as accept returned it. The handle is ready to be
  // published (registered) when this returns.
  static std::shared_ptr<ClientSession> Create(ProxyContext* ctx, asio::ip::tcp::socket socket,
                                               const asio::ip::tcp::endpoint& peer,
                                               int thread_index);
  // A client of the listen_socket (SPEC §2): its Host is "localhost".
  static std::shared_ptr<ClientSession> CreateLocal(ProxyContext* ctx,
                                                    net::PacketConn::Socket socket,
                                                    int thread_index);
  ~ClientSession() override;

  const std::shared_ptr<SessionHandle>& handle() { return handle_; }
  // The configuration this session took when it started (SPEC §8 Reload: it keeps
  // it to its end, whatever reloads happen meanwhile).
  const config::ProxyConfig& config() const { return *config_; }

  // Runs the session to the end, once its handle is registered. Call once,
  // co_spawned on the handle's executor. `admins_only`: the node is past
  // max_connections, in the slots admin_reserved_connections keeps: any other
  // user's login gets 1040 (SPEC §2 "Before login").
  asio::awaitable<void> Run(bool admins_only = false);
  // Instead of Run, when the node can't take the connection: greets it with `code`
  // and closes it.
  // `why` is counted in the metrics' refused connections.
  asio::awaitable<void> Refuse(metrics::Refusal why, uint16_t code, absl::string_view sql_state,
                               absl::string_view message);

  // SessionControl (SPEC §3 kills), on the executor.
  asio::awaitable<absl::Status> Terminate(SessionEnd why) override;
  asio::awaitable<absl::Status> TerminateServerSession(uint32_t ss_id) override;
  asio::awaitable<absl::Status> InterruptQuery() override;
  void CloseIfIdle() override;

 private:
  ClientSession(ProxyContext* ctx, net::PacketConn::Socket socket, int thread_index);
  static std::shared_ptr<ClientSession> Make(ProxyContext* ctx, net::PacketConn::Socket socket,
                                             std::string host_ip, uint16_t host_port,
                                             int thread_index);

  // ClientPort, for the proxy statement in flight (client_session.cc).
  const SessionHandle& handle() const override { return *handle_; }
  CallerIdentity Identity() const override;
  asio::awaitable<absl::Status> SendRows(const std::vector<mysql::ColumnDef>& cols,
                                         const std::vector<mysql::Row>& rows) override;
  asio::awaitable<absl::Status> SendOk(absl::string_view info) override;
  asio::awaitable<absl::Status> SendError(uint16_t code, absl::string_view sql_state,
                                          absl::string_view message) override;
  asio::awaitable<void> EndSelf(SessionEnd why) override;
  asio::awaitable<absl::StatusOr<BackendValue>> EvaluateOnBackend(absl::string_view expr) override;

  uint32_t cs_id() const { return handle_->cs_id(); }
  // Login data of this session for a control connection to one of its backends.
  LoginParams ControlLogin(const config::Backend& backend) const;
  // KILL [QUERY] of `connection_id` on `backend` within backend_kill_timeout_ms;
  // Unavailable "Backend KILL of connection N on 'B' not confirmed: ..." if not.
  // While a statement runs: a client that hangs up ends its session as a kill does,
  // so the statement stops on the backend now rather than whenever it finishes.
  // Armed by OnLongStatement (client_forward.cc), for statements past a tick.
  void WatchForHangup();
  void OnLongStatement() override;
  bool ClientHungUp();  // POLLRDHUP on the client socket, without blocking
  void EndForHangup();
  // A statement in flight, for the thread's StatementTicker; ending it cancels the
  // hang-up watch. Scoped, so a statement left by any path leaves the ticker.
  struct InFlight {
    explicit InFlight(ClientSession* s);
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    ClientSession* session;
  };
  asio::awaitable<absl::Status> EndOnBackend(const config::Backend& backend,
                                             uint32_t connection_id, bool query_only);

  // Login (client_login.cc)
  // SPEC §2 "Before login": a client may send at most this much before its login
  // is complete; a larger packet header closes the connection unread.
  static constexpr size_t kPreLoginLimit = 64 * 1024;
  asio::awaitable<absl::Status> Login(bool admins_only);
  // What is left of kPreLoginLimit.
  size_t PreLoginBudget() const;
  // The greeting's capabilities: ProxyServerCapabilities(), plus SSL when
  // [sql_tls] is configured and session tracking when the backend has it; with
  // MariaDB extended capabilities to offer, kClientMysql is cleared.
  uint32_t OfferedCapabilities() const;
  // MariaDB's extended capabilities offered (kProxyExtCapabilities the backend has).
  uint32_t OfferedExtCapabilities() const;
  // Reads a login packet within PreLoginBudget().
  asio::awaitable<absl::StatusOr<net::Packet>> ReadLoginPacket();
  // The next command's first packet; with wait_timeout_s, DeadlineExceeded once
  // the session has been idle that long.
  asio::awaitable<absl::StatusOr<net::Packet>> ReadCommand();
  // 1153 for a command past max_allowed_packet; the session then ends.
  asio::awaitable<absl::Status> PacketTooLarge();
  asio::awaitable<absl::Status> SendAccessDenied(uint8_t seq, absl::string_view user, bool used_password);
  // Asks the client to answer mysql_native_password on scramble_ (an auth switch)
  // and returns its token. `*seq`: the request's sequence id on entry, the next
  // reply's on return. `limit`: the largest answer read.
  asio::awaitable<absl::StatusOr<std::string>> SwitchToNativePassword(uint8_t* seq, size_t limit);
  // The account `login_name` names (SPEC §1 forms) if `token` is its answer to
  // scramble_; otherwise sends 1045 with `seq` and returns PermissionDenied.
  asio::awaitable<absl::StatusOr<Account>> Authenticate(uint8_t seq, absl::string_view login_name,
                                                        absl::string_view token);
  // The session belongs to `account` from now on (server sessions not touched).
  void Adopt(Account account);
  // Selects state_.db on the tenant's first backend, so that a database the
  // backend refuses fails the login or change of user as it would directly: the
  // client gets the backend's error (or 2003) with `seq`, and the status is not OK.
  asio::awaitable<absl::Status> CheckLoginDatabase(uint8_t seq);

  // Commands (client_query.cc)
  asio::awaitable<absl::Status> CommandLoop();
  asio::awaitable<absl::Status> Dispatch(const net::Packet& first);
  asio::awaitable<absl::Status> HandleQuery(const net::Packet& first);
  // Forwards query text (`raw`: its framed COM_QUERY) to the server session the
  // hint or the session's state picks; `body` is the text after the preamble, of
  // the class `kind`.
  asio::awaitable<absl::Status> ForwardQuery(absl::string_view body, sql::StmtKind kind,
                                             absl::string_view raw,
                                             const net::Packet* first,
                                             const std::optional<std::string>& hint);
  asio::awaitable<absl::Status> HandleInitDb(const net::Packet& first);
  asio::awaitable<absl::Status> HandleResetConnection();
  asio::awaitable<absl::Status> ForwardSimple(const net::Packet& first, mysql::ResponseKind kind);
  // Picks the server session for a statement: the pinned one inside a transaction,
  // else `hint` or the tenant's first backend. Sends the client an error and
  // returns nullptr when it can't.
  asio::awaitable<ServerSession*> Route(const std::optional<std::string>& hint, int prefer = -1);
  asio::awaitable<absl::StatusOr<ServerSession*>> Acquire(int backend_index);
  // User variables (client_user_vars.cc).
  // Before server session `index` is given user variables set from an expression or
  // assigned by a statement other than SET: reads their values from the server
  // session that holds them and keeps them as literals (user_var_value.h), there and
  // in state_. DataLoss (the report of DropClosedServerSession) when that server
  // session is gone; a value MariaDB refuses to give or proxyd can't write as a
  // literal keeps its expression, or, assigned by a statement, stays where it is.
  asio::awaitable<absl::Status> PinUserVarValues(int index);
  // The server session holding the value of user variable `name` ("@n") that state_
  // says it has (`index` itself if it does), or -1 if none does.
  int UserVarHolder(int index, const std::string& name) const;
  // A statement other than SET, run on `ss`, gave `name` a value (sql::HeldChange).
  void NoteAssigned(ServerSession* ss, const std::string& name);
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
  // LOAD DATA LOCAL, once `ss` asked for the file: the client's packets up to the
  // empty one that ends it go to `ss`, their sequence ids lowered by `seq_shift`.
  // Cancelled (and the failed side closed) if either side fails.
  asio::awaitable<absl::Status> ForwardLocalInfile(ServerSession* ss, uint8_t seq_shift);

  // Multi-statement queries holding proxy statements (client_multi.cc, SPEC §3):
  // each part in turn, proxy statements answered in their place, the replies
  // joined into one as the server would send them; the first error ends it.
  asio::awaitable<absl::Status> RunMultiStatement(absl::string_view sql, absl::string_view body,
                                                  const std::optional<std::string>& hint);
  // StreamResponse while shape_ is active: whole packets, renumbered and flagged.
  asio::awaitable<absl::Status> StreamShapedResponse(ServerSession* ss);
  // Bookkeeping once `ss` has sent its whole reply, run before the reply's last
  // bytes go to the client: transaction flags, the statement's effect, and the
  // published info.
  void FinishStatement(ServerSession* ss);
  void AfterResponse(ServerSession* ss);
  void ApplyEffect(ServerSession* ss);
  void DropServerSession(int backend_index);
  // What losing `ss` takes of the user variables (client_user_vars.cc): those set from
  // an expression (then unset in state_) and those assigned by other statements whose
  // value only `ss` held, as phrases for DropClosedServerSession's report.
  std::vector<std::string> LostUserVars(const ServerSession& ss);
  // The backend closed `backend_index`'s server session: drops it and, if it
  // held what a new connection can't rebuild (a transaction, temporary tables,
  // locks, a cursor), says what was lost (DataLoss, reported as 2013).
  // `how` says what ended it, for the report.
  absl::Status DropClosedServerSession(int backend_index,
                                       absl::string_view how = "it closed the connection");
  // COM_PING: a server session its backend closed is noticed here, as a direct
  // client's ping would notice it.
  asio::awaitable<absl::Status> HandlePing();
  // At the end of a session that was not killed: server sessions that are idle,
  // outside a transaction and clean are reset and handed to the node's pool; the
  // others are closed.
  asio::awaitable<void> ReleaseServerSessions();
  PoolKey PoolKeyFor(int backend_index) const;
  // True while `ss` is still one of this session's server sessions (Forward may
  // have dropped it: killed, or its backend went away).
  bool Owns(const ServerSession* ss) const;

  // Change of user (client_change_user.cc)
  asio::awaitable<absl::Status> HandleChangeUser(const net::Packet& first);
  // Ends everything the old user had on the backends: every server session
  // closed, prepared statements, transaction pin and tracked state dropped.
  void DropUserState();

  // Prepared statements (client_stmt.cc)
  asio::awaitable<absl::Status> HandleStmtPrepare(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtExecute(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtFetch(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtLongData(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtClose(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtReset(const net::Packet& first);
  asio::awaitable<absl::Status> HandleStmtBulkExecute(const net::Packet& first);
  asio::awaitable<absl::Status> EnsurePrepared(ServerSession* ss, uint32_t id, PreparedStatement& ps);
  // The server session `ps` runs on, with the statement prepared there; null when
  // there is none (the client has been answered with the error).
  asio::awaitable<ServerSession*> PreparedServerSession(uint32_t id, PreparedStatement& ps);

  // Replies
  asio::awaitable<absl::Status> SendError(uint8_t seq, uint16_t code, absl::string_view state,
                                          absl::string_view message);
  asio::awaitable<absl::Status> SendOk(uint8_t seq, uint64_t affected = 0);
  uint16_t StatusFlags() const;

  // Publishing for other threads, into the handle (client_session.cc)
  void Publish();
  // Whether `published` already holds everything Publish would rebuild.
  bool PublishedIsCurrent(const SessionInfo& published) const;
  // Cheap per-statement update of one server session's published state.
  void PublishServerState(const ServerSession* ss);
  void SetCommand(absl::string_view command, absl::string_view statement);

  ProxyContext* ctx_;
  // The generation current when the session started; config_ points into it. Every
  // config::User, Tenant and Backend this session and its server sessions point
  // at belongs to it.
  std::shared_ptr<const RuntimeConfig> runtime_;
  const config::ProxyConfig* config_;
  asio::any_io_executor executor_;
  std::shared_ptr<SessionHandle> handle_;
  net::PacketConn client_;  // counts its traffic into handle_
  int thread_index_;
  metrics::ThreadCounters& counters_;  // this io thread's (ProxyContext::Counters)

  // Set by Login; user_, tenant_ and stage1_ change with COM_CHANGE_USER, and
  // charset_ and connect_attrs_ take that packet's.
  const config::User* user_ = nullptr;
  const config::Tenant* tenant_ = nullptr;
  std::string stage1_;
  // The greeting's scramble: MariaDB authenticates a change of user against it
  // too (libmariadb computes the token from it), auth switch included.
  std::string scramble_;
  // Admitted past max_connections, in a slot admin_reserved_connections keeps for
  // admins: the session may change only to another admin.
  bool reserved_slot_ = false;
  uint32_t caps_ = 0;
  uint32_t ext_caps_ = 0;  // MariaDB's extended capabilities (0 with kClientMysql)
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
  // MariaDB's statement id -1 in EXECUTE and BULK_EXECUTE means "the statement
  // prepared last" (libmariadb's mariadb_stmt_execute_direct sends it).
  uint32_t last_prepared_id_ = 0;
  uint32_t ResolveStmtId(uint32_t id) const { return id == 0xFFFFFFFFu ? last_prepared_id_ : id; }
  std::optional<mysql::ErrPacket> pending_error_;  // reported on the next statement
  std::optional<mysql::ErrPacket> last_backend_error_;  // why the last Acquire failed, if a backend said
  bool busy_ = false;   // a statement is being forwarded
  // The hang-up watch of the statement in flight (see WatchForHangup): none yet, a
  // wait on the client socket (cancelled by hangup_watch_), or, once bytes ended the
  // wait, a poll at each tick.
  enum class HangupWatch { kOff, kWaiting, kPolling };
  HangupWatch hangup_watch_state_ = HangupWatch::kOff;
  uint64_t hangup_watches_ = 0;  // waits started; names the current one
  asio::cancellation_signal hangup_watch_;
  StatementEffect effect_;       // of the statement in flight
  sql::HeldChange held_change_;  // of the statement in flight
  uint64_t assignments_ = 0;     // numbers StateSnapshot::assigned
  bool finished_ = false;        // FinishStatement ran for the current command
  ReplyShape shape_;             // of the multi-statement part in flight
  bool closing_ = false;
  // SPEC §8 drain: CommandLoop is waiting for the client's next command; and
  // CloseIfIdle closed the client socket under that wait.
  bool awaiting_command_ = false;
  bool drain_closed_ = false;
  // Whether the session may close for a drain now, between two commands: logged
  // in, no transaction open, and not between SEND_LONG_DATA and its EXECUTE.
  bool DrainableNow(const net::Packet* last) const;

  // SPEC §9 session history. The first path that knows why the session ends says
  // so (NoteEnd keeps the first word); Run's end writes the one entry.
  void NoteEnd(EndReason reason, absl::string_view detail = {});
  void NoteEnd(SessionEnd end);
  // Why a session that ended with `last` ended, from what was noted.
  SessionEnd EndOf(const absl::Status& last) const;
  void RecordEnd(const absl::Status& last);
  std::optional<SessionEnd> end_;
  bool logged_in_ = false;
  bool login_packet_seen_ = false;  // the client sent something after the greeting
  std::string login_name_;          // as the client's login packet carried it
  uint64_t statements_ = 0;         // COM_QUERY and COM_STMT_EXECUTE run
  // The backend loss the last command reported to the client (2013): if the client
  // leaves right after it, that loss is why.
  std::string backend_lost_;
  void NoteBackendLost(absl::string_view what) { backend_lost_.assign(what.data(), what.size()); }
};

}  // namespace obp::session
