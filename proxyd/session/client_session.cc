#include "proxyd/session/client_session.h"

#include <spdlog/spdlog.h>

#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/net/timeout.h"
#include "proxyd/session/control_connection.h"

namespace obp::session {

namespace {

std::string IpText(const asio::ip::address& ip) {
  if (!ip.is_v4()) return ip.to_string();
  // Asio's to_string goes through inet_ntop and printf: a visible share of a
  // short-lived connection's cost.
  auto b = ip.to_v4().to_bytes();
  return absl::StrCat(b[0], ".", b[1], ".", b[2], ".", b[3]);
}

}  // namespace

std::shared_ptr<ClientSession> ClientSession::Create(ProxyContext* ctx,
                                                     asio::ip::tcp::socket socket,
                                                     const asio::ip::tcp::endpoint& peer,
                                                     int thread_index) {
  return Make(ctx, net::PacketConn::Socket(std::move(socket)), IpText(peer.address()),
              peer.port(), thread_index);
}

std::shared_ptr<ClientSession> ClientSession::CreateLocal(ProxyContext* ctx,
                                                          net::PacketConn::Socket socket,
                                                          int thread_index) {
  return Make(ctx, std::move(socket), std::string(kLocalHost), 0, thread_index);
}

std::shared_ptr<ClientSession> ClientSession::Make(ProxyContext* ctx,
                                                   net::PacketConn::Socket socket,
                                                   std::string host_ip, uint16_t host_port,
                                                   int thread_index) {
  std::shared_ptr<ClientSession> session(new ClientSession(ctx, std::move(socket), thread_index));
  // The handle's kill verbs reach the session through this weak reference, set
  // before anyone else can see the handle.
  session->handle_ = std::make_shared<SessionHandle>(
      SessionFacts{ctx->sessids->Next(), std::move(host_ip), host_port, absl::Now(),
                   ctx->io->tid(thread_index)},
      session->executor_, std::weak_ptr<SessionControl>(session));
  session->client_.CountInto(session->handle_->client_traffic());
  session->client_.SetStallTimeout(absl::Seconds(session->config_->net_read_timeout_s));
  session->counters_.CountAccepted();
  return session;
}

ClientSession::ClientSession(ProxyContext* ctx, net::PacketConn::Socket socket, int thread_index)
    : ctx_(ctx),
      runtime_(ctx->Current()),
      config_(&runtime_->config),
      executor_(socket.get_executor()),
      client_(std::move(socket)),
      thread_index_(thread_index),
      counters_(ctx->Counters(thread_index)) {
  // TCP_NODELAY comes from the listening socket (net::Listener::Bind).
}

ClientSession::~ClientSession() = default;

asio::awaitable<void> ClientSession::Refuse(metrics::Refusal why, uint16_t code,
                                            absl::string_view sql_state,
                                            absl::string_view message) {
  auto self = shared_from_this();
  counters_.CountRefused(why);
  (co_await SendError(0, code, sql_state, message)).IgnoreError();
  client_.Close();
  // Refused before its login began, but a connection that ended all the same: the
  // history says why (SPEC §9).
  NoteEnd(EndReason::kLoginFailed, message);
  RecordEnd(absl::OkStatus());
}

asio::awaitable<void> ClientSession::Run(bool admins_only) {
  auto self = shared_from_this();
  Publish();
  const absl::Duration login_timeout = absl::Seconds(config_->login_timeout_s);
  std::optional<absl::Status> login = co_await net::RunWithin(Login(admins_only), login_timeout);
  absl::Status s = login ? *login
                         : absl::DeadlineExceededError(absl::StrCat(
                               "login not complete after ", config_->login_timeout_s, " s"));
  if (!login) {
    counters_.CountLoginFailure(metrics::LoginFailure::kTimeout);
    NoteEnd(EndReason::kLoginTimeout, s.message());
  }
  logged_in_ = s.ok();
  if (s.ok()) s = co_await CommandLoop();
  if (!s.ok() && !closing_)
    spdlog::debug("cs_id {}: session ends: {}", cs_id(), std::string(s.message()));
  bool killed = closing_;  // Terminate ran: nothing of this session is reused
  closing_ = true;
  client_.Close();
  if (killed) {
    for (auto& ss : servers_) {
      if (ss) ss->conn().Close();
    }
  } else {
    co_await ReleaseServerSessions();
  }
  handle_->Update([](SessionInfo& info) { info.state = ClientState::kClosed; });
  RecordEnd(s);
}

bool ClientSession::PublishedIsCurrent(const SessionInfo& published) const {
  if (published.total_trans != total_trans_ || !(published.vars == state_)) return false;
  // COM_CHANGE_USER may give the session another user, tenant or admin flag.
  if (published.user != (user_ ? absl::string_view(user_->name) : absl::string_view()) ||
      published.tenant != (tenant_ ? absl::string_view(tenant_->name) : absl::string_view()) ||
      published.admin != (user_ && user_->admin)) {
    return false;
  }
  size_t n = 0;
  for (const auto& ss : servers_) {
    if (!ss) continue;
    if (n >= published.servers.size()) return false;
    const ServerSessionInfo& si = published.servers[n++];
    if (si.ss_id != ss->ss_id() || si.transact_count != ss->transact_count ||
        si.in_transaction != ss->in_transaction) {
      return false;
    }
  }
  return n == published.servers.size();
}

void ClientSession::Publish() {
  // Most commands change nothing but the server sessions' states: update those in
  // place rather than rebuilding (and allocating) the whole copy.
  bool current = false;
  handle_->Update([&](SessionInfo& info) {
    current = PublishedIsCurrent(info);
    if (!current) return;
    size_t n = 0;
    for (const auto& ss : servers_) {
      if (!ss) continue;
      ServerSessionInfo& si = info.servers[n++];
      si.state = ss->state;
      si.in_use = current_ >= 0 && servers_[current_].get() == ss.get();
    }
  });
  if (current) return;
  SessionInfo fresh;
  fresh.cluster = config_->cluster;
  fresh.tenant = tenant_ ? tenant_->name : "";
  fresh.user = user_ ? user_->name : "";
  fresh.admin = user_ && user_->admin;
  fresh.using_ssl = client_.tls();
  if (!state_.db.empty()) fresh.db = state_.db;
  fresh.total_trans = total_trans_;
  fresh.vars = state_;
  for (const auto& ss : servers_) {
    if (!ss) continue;
    ServerSessionInfo si;
    si.ss_id = ss->ss_id();
    si.backend = ss->backend().name;
    si.server_ip = ss->server_ip();
    si.server_port = ss->server_port();
    si.connection_id = ss->connection_id();
    si.state = ss->state;
    si.transact_count = ss->transact_count;
    si.in_transaction = ss->in_transaction;
    si.in_use = current_ >= 0 && servers_[current_].get() == ss.get();
    si.from_pool = ss->from_pool;
    si.using_ssl = ss->tls();
    fresh.servers.push_back(std::move(si));
  }
  handle_->Update([&](SessionInfo& info) {
    fresh.state = info.state;
    fresh.last_active = info.last_active;
    fresh.current_command = std::move(info.current_command);
    fresh.current_statement = std::move(info.current_statement);
    fresh.statement_start = info.statement_start;
    info = std::move(fresh);
  });
}

void ClientSession::PublishServerState(const ServerSession* ss) {
  handle_->Update([ss](SessionInfo& info) {
    for (auto& si : info.servers) {
      si.in_use = si.ss_id == ss->ss_id();
      if (si.in_use) si.state = ss->state;
    }
  });
}

void ClientSession::SetCommand(absl::string_view command, absl::string_view statement) {
  absl::Time now = absl::Now();
  bool active = command != "Sleep";
  handle_->Update([&](SessionInfo& info) {
    info.state = active ? ClientState::kActiveReader : ClientState::kKeepAlive;
    // assign() reuses the strings' capacity: no allocation per statement.
    info.current_command.assign(command.data(), command.size());
    if (active) {
      absl::string_view head = statement.substr(0, 1024);
      info.current_statement.assign(head.data(), head.size());
      info.statement_start = now;
    }
    info.last_active = now;
  });
}

CallerIdentity ClientSession::Identity() const {
  const SessionFacts& f = handle_->facts();
  return CallerIdentity{user_ ? user_->name : "", tenant_ ? tenant_->name : "",
                        user_ && user_->admin, cs_id(), ClientHostText(f.host_ip, f.host_port)};
}

asio::awaitable<absl::Status> ClientSession::SendRows(const std::vector<mysql::ColumnDef>& cols,
                                                      const std::vector<mysql::Row>& rows) {
  std::string out;
  uint8_t seq = static_cast<uint8_t>(1 + shape_.seq_offset);
  mysql::AppendTextResultSet(&out, &seq, cols, rows, caps_, ext_caps_, StatusFlags());
  shape_.next_seq = seq;
  co_return co_await client_.Write(out);
}

asio::awaitable<absl::Status> ClientSession::SendOk(absl::string_view info) {
  std::string out;
  uint8_t seq = static_cast<uint8_t>(1 + shape_.seq_offset);
  mysql::OkPacket ok;
  ok.status_flags = StatusFlags();
  ok.info = std::string(info);
  mysql::AppendOk(&out, &seq, ok, caps_);
  shape_.next_seq = seq;
  co_return co_await client_.Write(out);
}

asio::awaitable<absl::Status> ClientSession::SendError(uint16_t code, absl::string_view sql_state,
                                                       absl::string_view message) {
  co_return co_await SendError(1, code, sql_state, message);
}

asio::awaitable<void> ClientSession::EndSelf(SessionEnd why) {
  (co_await Terminate(std::move(why))).IgnoreError();
}

asio::awaitable<absl::StatusOr<BackendValue>> ClientSession::EvaluateOnBackend(
    absl::string_view expr) {
  ServerSession* ss = co_await Route(std::nullopt);
  if (ss == nullptr) co_return absl::AbortedError("the client has its error");
  const int index = current_;
  ss->state = ServerState::kActive;
  PublishServerState(ss);
  auto r = co_await ss->QueryFirstValue(absl::StrCat("SELECT CAST((", expr, ") AS SIGNED)"));
  ss->state = ServerState::kIdle;
  ss->MarkIdle();
  PublishServerState(ss);
  if (!r.ok()) {
    if (!ss->killed) DropServerSession(index);
    co_return absl::UnavailableError(
        absl::StrCat("Lost connection to backend while working out the KILL id: ", r.status().message()));
  }
  BackendValue v;
  v.error = r->error;
  if (r->value) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(*r->value, &n)) {
      co_return absl::InternalError(absl::StrCat("the backend's value is not an integer: ", *r->value));
    }
    v.value = n;
  }
  co_return v;
}

LoginParams ClientSession::ControlLogin(const config::Backend& backend) const {
  LoginParams p;
  p.tls = runtime_->BackendTls(&backend);
  p.user = user_ ? user_->name : "";
  p.stage1 = stage1_;
  p.caps = mysql::kClientProtocol41 | mysql::kClientSecureConnection | mysql::kClientPluginAuth |
           mysql::kClientTransactions;
  p.charset = charset_;
  return p;
}

asio::awaitable<absl::Status> ClientSession::Terminate(SessionEnd why) {
  // The session's own coroutine may finish (and drop its reference) while this
  // one still waits on a backend KILL.
  auto self = shared_from_this();
  if (closing_) co_return absl::OkStatus();
  closing_ = true;
  if (why.reason == EndReason::kKilled) {
    spdlog::info("cs_id {}: killed by {} ({})", cs_id(), why.actor, why.detail);
  } else {
    spdlog::info("cs_id {}: ending: {}", cs_id(), why.detail);
  }
  NoteEnd(std::move(why));
  handle_->Update([](SessionInfo& info) { info.state = ClientState::kHalfClosed; });
  // Everything is marked and closed before the first co_await: from then on the
  // session's own coroutine may drop server sessions, so only copies are used.
  std::vector<std::pair<const config::Backend*, uint32_t>> busy;
  client_.Close();
  for (auto& ss : servers_) {
    if (!ss) continue;
    ss->killed = true;
    if (ss->state == ServerState::kActive || ss->in_transaction) {
      busy.emplace_back(&ss->backend(), ss->connection_id());
    }
    ss->conn().Close();
  }
  std::vector<std::string> unconfirmed;
  for (const auto& [backend, connection_id] : busy) {
    absl::Status s = co_await EndOnBackend(*backend, connection_id, /*query_only=*/false);
    if (!s.ok()) unconfirmed.emplace_back(s.message());
  }
  if (unconfirmed.empty()) co_return absl::OkStatus();
  co_return absl::UnavailableError(absl::StrJoin(unconfirmed, "; "));
}

asio::awaitable<absl::Status> ClientSession::EndOnBackend(const config::Backend& backend,
                                                          uint32_t connection_id, bool query_only) {
  absl::Status s =
      co_await KillOnBackend(backend, ControlLogin(backend), connection_id, query_only,
                             absl::Milliseconds(config_->backend_kill_timeout_ms));
  if (s.ok()) co_return s;
  std::string what =
      absl::StrCat("Backend KILL", query_only ? " QUERY" : "", " of connection ", connection_id,
                   " on '", backend.name, "' not confirmed: ", s.message());
  spdlog::warn("cs_id {}: {}", cs_id(), what);
  co_return absl::UnavailableError(what);
}

asio::awaitable<absl::Status> ClientSession::TerminateServerSession(uint32_t ss_id) {
  auto self = shared_from_this();
  for (size_t i = 0; i < servers_.size(); ++i) {
    ServerSession* ss = servers_[i].get();
    if (!ss || ss->ss_id() != ss_id) continue;
    bool busy = ss->state == ServerState::kActive;
    bool in_trans = ss->in_transaction;
    const config::Backend* backend = &ss->backend();
    uint32_t connection_id = ss->connection_id();
    if (in_trans) {
      pending_error_ =
          mysql::ErrPacket{1317, "70100",
                           absl::StrCat("Query execution was interrupted: server session ", ss_id,
                                        " was killed and its transaction rolled back")};
    }
    ss->killed = true;
    if (busy) {
      // The forwarding coroutine sees the socket close, replies 1317 and drops it.
      ss->conn().Close();
    } else {
      DropServerSession(static_cast<int>(i));
    }
    Publish();
    if (busy || in_trans) co_return co_await EndOnBackend(*backend, connection_id, false);
    co_return absl::OkStatus();
  }
  co_return UnknownThreadId(ss_id);
}

asio::awaitable<absl::Status> ClientSession::InterruptQuery() {
  auto self = shared_from_this();
  if (!busy_ || current_ < 0 || !servers_[current_]) co_return absl::OkStatus();
  ServerSession* ss = servers_[current_].get();
  if (ss->state != ServerState::kActive) co_return absl::OkStatus();
  co_return co_await EndOnBackend(ss->backend(), ss->connection_id(), /*query_only=*/true);
}

bool ClientSession::Owns(const ServerSession* ss) const {
  for (const auto& mine : servers_) {
    if (mine.get() == ss) return true;
  }
  return false;
}

PoolKey ClientSession::PoolKeyFor(int backend_index) const {
  // Only capabilities that shape the backend session after login belong in the key:
  // whether the client named a database at login, used TLS to proxyd or sent
  // attributes changes nothing in a server session (its database is replayed).
  const uint32_t login_only =
      mysql::kClientConnectWithDb | mysql::kClientSsl | mysql::kClientConnectAttrs;
  return PoolKey{tenant_->name, &tenant_->backends[backend_index], user_->name,
                 caps_ & ~login_only, ext_caps_, charset_};
}

asio::awaitable<void> ClientSession::ReleaseServerSessions() {
  BackendPool& pool = *ctx_->pools[thread_index_];
  std::vector<std::pair<int, std::unique_ptr<ServerSession>>> reusable;
  for (size_t i = 0; i < servers_.size(); ++i) {
    std::unique_ptr<ServerSession>& ss = servers_[i];
    if (!ss) continue;
    // A backend that closed the connection fails the reset below; no peek needed.
    // MariaDB's COM_RESET_CONNECTION keeps a session's profiling history (SHOW
    // PROFILES): a connection that profiled is closed, not handed to the next login
    // (found by mysql-test's show_profile through proxyd).
    const bool profiled = ss->applied.vars.count("profiling") > 0;
    bool clean = ss->state == ServerState::kIdle && !ss->in_transaction && !ss->killed &&
                 !profiled && ss->conn().is_open() && !ss->conn().has_buffered();
    if (clean && pool.enabled() && !ctx_->stopping && !ctx_->draining) {
      reusable.emplace_back(static_cast<int>(i), std::move(ss));
    } else {
      DropServerSession(static_cast<int>(i));
    }
  }
  pinned_ = current_ = -1;
  // From here a kill of this session finds no server session: the ones being
  // reset belong to the pool, and the client is already gone.
  Publish();
  for (auto& [index, ss] : reusable) {
    // A server session that provably holds nothing of this client's goes back
    // as it is: no reset round trip, the cheapest part of a short connection.
    const bool reset = ss->needs_reset || config_->pool_reset_always;
    const uint64_t epoch = ctx_->globals_epoch.load(std::memory_order_relaxed);
    absl::Status s = absl::OkStatus();
    if (reset) s = co_await ss->Reset();
    if (reset && s.ok()) ss->globals_epoch = epoch;
    if (!s.ok()) {
      spdlog::debug("cs_id {}: not pooling ss {}: {}", cs_id(), ss->ss_id(),
                    std::string(s.message()));
      ss->conn().Close();
      continue;
    }
    ss->state = ServerState::kIdle;
    ss->transact_count = 0;
    if (reset) ss->MarkIdle();  // the reset just proved it alive
    pool.Put(PoolKeyFor(index), std::move(ss), /*without_reset=*/!reset);
  }
}

absl::Status ClientSession::DropClosedServerSession(int backend_index, absl::string_view how) {
  const ServerSession& ss = *servers_[backend_index];
  std::vector<std::string> lost;
  if (ss.in_transaction) lost.push_back("transaction (rolled back)");
  if (ss.held != 0) lost.push_back(sql::DescribeHeld(ss.held));
  if (!ss.sql_prepared.empty()) {
    lost.push_back(absl::StrCat("prepared statement", ss.sql_prepared.size() == 1 ? " " : "s ",
                                absl::StrJoin(ss.sql_prepared, ", "), " (PREPARE)"));
  }
  for (const auto& [id, ps] : stmts_) {
    if (ps.cursor_backend == backend_index) {
      lost.push_back("open cursor");
      break;
    }
  }
  for (std::string& vars : LostUserVars(ss)) lost.push_back(std::move(vars));
  DropServerSession(backend_index);
  if (lost.empty()) return absl::OkStatus();  // the next statement gets a new one, state replayed
  const config::Backend& backend = tenant_->backends[backend_index];
  spdlog::info("cs_id {}: backend '{}' server session lost ({}) holding {}", cs_id(), backend.name,
               std::string(how), absl::StrJoin(lost, ", "));
  return absl::DataLossError(absl::StrCat("Lost connection to backend '", backend.name, "' (",
                                          backend.address, "): ", how, ", and with it this "
                                          "session's ",
                                          absl::StrJoin(lost, ", ")));
}

void ClientSession::DropServerSession(int backend_index) {
  auto& ss = servers_[backend_index];
  if (!ss) return;
  // The values it alone held go with it (DropClosedServerSession reports them).
  for (const auto& [name, n] : ss->applied.assigned) {
    if (auto it = state_.assigned.find(name); it != state_.assigned.end() && it->second == n) {
      state_.assigned.erase(it);
    }
  }
  ss->conn().Close();
  ss.reset();
  if (pinned_ == backend_index) pinned_ = -1;
  if (current_ == backend_index) current_ = -1;
  for (auto& [id, ps] : stmts_) {
    if (ps.cursor_backend == backend_index) ps.cursor_backend = -1;
  }
}

}  // namespace obp::session
