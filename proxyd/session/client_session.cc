#include "absl/strings/string_view.h"
#include "proxyd/session/client_session.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/session/control_connection.h"

namespace obp::session {

const char* ClientStateName(ClientState s) {
  switch (s) {
    case ClientState::kInit: return "MCS_INIT";
    case ClientState::kActiveReader: return "MCS_ACTIVE_READER";
    case ClientState::kKeepAlive: return "MCS_KEEP_ALIVE";
    case ClientState::kHalfClosed: return "MCS_HALF_CLOSED";
    case ClientState::kClosed: return "MCS_CLOSED";
  }
  return "MCS_UNKNOWN";
}

const char* ServerStateName(ServerState s) {
  switch (s) {
    case ServerState::kInit: return "MSS_INIT";
    case ServerState::kActive: return "MSS_ACTIVE";
    case ServerState::kIdle: return "MSS_KA_CLIENT_SLAVE";
  }
  return "MSS_UNKNOWN";
}

ClientSession::ClientSession(ProxyContext* ctx, asio::ip::tcp::socket socket,
                             const asio::ip::tcp::endpoint& peer, int thread_index)
    : ctx_(ctx),
      executor_(socket.get_executor()),
      client_(std::move(socket)),
      thread_index_(thread_index),
      created_(absl::Now()) {
  if (peer.address().is_v4()) {
    // Asio's to_string goes through inet_ntop and printf: a visible share of a
    // short-lived connection's cost.
    auto b = peer.address().to_v4().to_bytes();
    host_ip_ = absl::StrCat(b[0], ".", b[1], ".", b[2], ".", b[3]);
  } else {
    host_ip_ = peer.address().to_string();
  }
  host_port_ = peer.port();
  // TCP_NODELAY comes from the listening socket (net::Listener::Bind).
}

ClientSession::~ClientSession() = default;

asio::awaitable<void> RunSession(std::shared_ptr<ClientSession> session) {
  co_await session->Run();
}

asio::awaitable<void> TerminateSession(std::shared_ptr<ClientSession> session, std::string reason) {
  co_await session->Terminate(std::move(reason));
}

asio::awaitable<void> ClientSession::Run() {
  auto self = shared_from_this();
  auto id = ctx_->registry->Register(self);
  if (!id.ok()) {
    co_await SendError(0, 1040, "08004", "Too many connections");
    client_.Close();
    co_return;
  }
  cs_id_ = *id;
  proxy_sessid_ = ctx_->sessids->Next();
  Publish();
  absl::Status s;
  if (ctx_->registry->size() > static_cast<size_t>(ctx_->config->max_connections)) {
    co_await SendError(0, 1040, "08004", "Too many connections");
  } else {
    s = co_await Login();
    if (s.ok()) s = co_await CommandLoop();
  }
  if (!s.ok() && !closing_) spdlog::debug("cs_id {}: session ends: {}", cs_id_, std::string(s.message()));
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
  {
    obp::MutexLock lock(&info_mu_);
    info_.state = ClientState::kClosed;
  }
  ctx_->registry->Unregister(cs_id_);
}

bool ClientSession::PublishedIsCurrent() const {
  if (info_.cs_id != cs_id_ || info_.total_trans != total_trans_ || !(info_.vars == state_)) {
    return false;
  }
  if (info_.user != (user_ ? absl::string_view(user_->name) : absl::string_view())) return false;
  size_t n = 0;
  for (const auto& ss : servers_) {
    if (!ss) continue;
    if (n >= info_.servers.size()) return false;
    const ServerSessionInfo& si = info_.servers[n++];
    if (si.ss_id != ss->ss_id() || si.transact_count != ss->transact_count ||
        si.in_transaction != ss->in_transaction) {
      return false;
    }
  }
  return n == info_.servers.size();
}

void ClientSession::Publish() {
  {
    // Most commands change nothing but the server sessions' states: update those
    // in place rather than rebuilding (and allocating) the whole copy.
    obp::MutexLock lock(&info_mu_);
    if (PublishedIsCurrent()) {
      size_t n = 0;
      for (const auto& ss : servers_) {
        if (!ss) continue;
        ServerSessionInfo& si = info_.servers[n++];
        si.state = ss->state;
        si.in_use = current_ >= 0 && servers_[current_].get() == ss.get();
      }
      return;
    }
  }
  SessionInfo fresh;
  fresh.proxy_sessid = proxy_sessid_;
  fresh.cs_id = cs_id_;
  fresh.cluster = ctx_->config->cluster;
  fresh.tenant = tenant_ ? tenant_->name : "";
  fresh.user = user_ ? user_->name : "";
  fresh.admin = user_ && user_->admin;
  fresh.host_ip = host_ip_;
  fresh.host_port = host_port_;
  if (!state_.db.empty()) fresh.db = state_.db;
  fresh.total_trans = total_trans_;
  fresh.tid = ctx_->io->tid(thread_index_);
  fresh.created = created_;
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
    fresh.servers.push_back(std::move(si));
  }
  obp::MutexLock lock(&info_mu_);
  fresh.state = info_.state;
  fresh.last_active = info_.last_active;
  fresh.current_command = info_.current_command;
  fresh.current_statement = info_.current_statement;
  fresh.statement_start = info_.statement_start;
  info_ = std::move(fresh);
}

void ClientSession::PublishServerState(const ServerSession* ss) {
  obp::MutexLock lock(&info_mu_);
  for (auto& si : info_.servers) {
    si.in_use = si.ss_id == ss->ss_id();
    if (si.in_use) si.state = ss->state;
  }
}

void ClientSession::SetCommand(absl::string_view command, absl::string_view statement) {
  absl::Time now = absl::Now();
  bool active = command != "Sleep";
  obp::MutexLock lock(&info_mu_);
  info_.state = active ? ClientState::kActiveReader : ClientState::kKeepAlive;
  // assign() reuses the strings' capacity: no allocation per statement.
  info_.current_command.assign(command.data(), command.size());
  if (active) {
    absl::string_view head = statement.substr(0, 1024);
    info_.current_statement.assign(head.data(), head.size());
    info_.statement_start = now;
  }
  info_.last_active = now;
}

SessionInfo ClientSession::Info() const {
  SessionInfo copy;
  {
    obp::MutexLock lock(&info_mu_);
    copy = info_;
  }
  copy.bytes_from_client = client_.bytes_read();
  copy.bytes_to_client = client_.bytes_written();
  return copy;
}

LoginParams ClientSession::ControlLogin() const {
  LoginParams p;
  p.user = user_ ? user_->name : "";
  p.stage1 = stage1_;
  p.caps = mysql::kClientProtocol41 | mysql::kClientSecureConnection | mysql::kClientPluginAuth |
           mysql::kClientTransactions;
  p.charset = charset_;
  return p;
}

asio::awaitable<void> ClientSession::Terminate(std::string reason) {
  // The session's own coroutine may finish (and drop its reference) while this
  // one still waits on a backend KILL.
  auto self = shared_from_this();
  if (closing_) co_return;
  closing_ = true;
  spdlog::info("cs_id {}: killed ({})", cs_id_, reason);
  {
    obp::MutexLock lock(&info_mu_);
    info_.state = ClientState::kHalfClosed;
  }
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
  LoginParams login = ControlLogin();
  for (const auto& [backend, connection_id] : busy) {
    absl::Status s = co_await KillOnBackend(*backend, login, connection_id,
                                            /*query_only=*/false, ctx_->config->connect_timeout_ms);
    if (!s.ok()) {
      spdlog::warn("cs_id {}: backend kill of {} failed: {}", cs_id_, connection_id,
                   std::string(s.message()));
    }
  }
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
      pending_error_ = mysql::ErrPacket{
          1317, "70100",
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
    if (busy || in_trans) {
      absl::Status s = co_await KillOnBackend(*backend, ControlLogin(), connection_id, false,
                                              ctx_->config->connect_timeout_ms);
      if (!s.ok()) spdlog::warn("cs_id {}: backend kill failed: {}", cs_id_, std::string(s.message()));
    }
    co_return absl::OkStatus();
  }
  co_return absl::NotFoundError(absl::StrCat("Unknown thread id: ", ss_id));
}

asio::awaitable<absl::Status> ClientSession::InterruptQuery() {
  auto self = shared_from_this();
  if (!busy_ || current_ < 0 || !servers_[current_]) co_return absl::OkStatus();
  ServerSession* ss = servers_[current_].get();
  if (ss->state != ServerState::kActive) co_return absl::OkStatus();
  co_return co_await KillOnBackend(ss->backend(), ControlLogin(), ss->connection_id(),
                                   /*query_only=*/true, ctx_->config->connect_timeout_ms);
}

bool ClientSession::Owns(const ServerSession* ss) const {
  for (const auto& mine : servers_) {
    if (mine.get() == ss) return true;
  }
  return false;
}

PoolKey ClientSession::PoolKeyFor(int backend_index) const {
  return PoolKey{&tenant_->backends[backend_index], user_->name, caps_, charset_};
}

asio::awaitable<void> ClientSession::ReleaseServerSessions() {
  BackendPool& pool = *ctx_->pools[thread_index_];
  std::vector<std::pair<int, std::unique_ptr<ServerSession>>> reusable;
  for (size_t i = 0; i < servers_.size(); ++i) {
    std::unique_ptr<ServerSession>& ss = servers_[i];
    if (!ss) continue;
    // A backend that closed the connection fails the reset below; no peek needed.
    bool clean = ss->state == ServerState::kIdle && !ss->in_transaction && !ss->killed &&
                 ss->conn().is_open() && !ss->conn().has_buffered();
    if (clean && pool.enabled() && !ctx_->stopping) {
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
    const bool reset = ss->needs_reset || ctx_->config->pool_reset_always;
    absl::Status s = absl::OkStatus();
    if (reset) s = co_await ss->Reset();
    if (!s.ok()) {
      spdlog::debug("cs_id {}: not pooling ss {}: {}", cs_id_, ss->ss_id(), std::string(s.message()));
      ss->conn().Close();
      continue;
    }
    ss->state = ServerState::kIdle;
    ss->transact_count = 0;
    if (reset) ss->MarkIdle();  // the reset just proved it alive
    pool.Put(PoolKeyFor(index), std::move(ss), /*without_reset=*/!reset);
  }
}

void ClientSession::DropServerSession(int backend_index) {
  auto& ss = servers_[backend_index];
  if (!ss) return;
  ss->conn().Close();
  ss.reset();
  if (pinned_ == backend_index) pinned_ = -1;
  if (current_ == backend_index) current_ = -1;
  for (auto& [id, ps] : stmts_) {
    if (ps.cursor_backend == backend_index) ps.cursor_backend = -1;
  }
}

}  // namespace obp::session
