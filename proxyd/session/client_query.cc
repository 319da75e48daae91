// The command loop: routing a client's commands to server sessions and streaming
// the answers back, tracking the session state that must follow the client
// across server sessions.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/net/timeout.h"
#include "proxyd/session/client_session.h"
#include "proxyd/sql/admin.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/preamble.h"

namespace obp::session {
namespace {
using mysql::Command;
using mysql::ResponseKind;

// Marks a failure of the client's own connection: the session ends.
absl::Status ClientGone(absl::Status s) {
  return absl::Status(absl::StatusCode::kCancelled, s.message());
}

using Clock = std::chrono::steady_clock;
uint64_t NanosSince(Clock::time_point start) {
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
  return static_cast<uint64_t>(std::max<int64_t>(0, d.count()));
}
}  // namespace

uint16_t ClientSession::StatusFlags() const {
  uint16_t flags = 0;
  if (state_.autocommit) flags |= mysql::kServerStatusAutocommit;
  if (pinned_ >= 0) flags |= mysql::kServerStatusInTrans;
  if (shape_.more) flags |= mysql::kServerMoreResultsExists;
  return flags;
}

asio::awaitable<absl::Status> ClientSession::SendError(uint8_t seq, uint16_t code,
                                                       absl::string_view state,
                                                       absl::string_view message) {
  if (remap_client_range_errors_) {
    // SPEC §2's 2003 (backend unavailable) and 2013 (lost connection) become
    // MariaDB's own codes for an unreachable / failing remote data source.
    if (code == 2003) code = 1429;
    if (code == 2013) code = 1430;
  }
  seq = static_cast<uint8_t>(seq + shape_.seq_offset);
  shape_.failed = true;
  std::string out;
  mysql::AppendErr(&out, &seq, mysql::ErrPacket{code, std::string(state), std::string(message)});
  shape_.next_seq = seq;
  co_return co_await client_.Write(out);
}

asio::awaitable<absl::Status> ClientSession::SendOk(uint8_t seq, uint64_t affected) {
  seq = static_cast<uint8_t>(seq + shape_.seq_offset);
  std::string out;
  mysql::OkPacket ok;
  ok.affected_rows = affected;
  ok.status_flags = StatusFlags();
  mysql::AppendOk(&out, &seq, ok, caps_);
  shape_.next_seq = seq;
  co_return co_await client_.Write(out);
}

asio::awaitable<absl::Status> ClientSession::CommandLoop() {
  while (!closing_) {
    awaiting_command_ = true;
    auto pkt = co_await ReadCommand();
    awaiting_command_ = false;
    if (drain_closed_) {
      NoteEnd(EndReason::kDrain, "closed while idle");
      co_return absl::CancelledError("drain: closed while idle");
    }
    if (absl::IsDeadlineExceeded(pkt.status())) {  // wait_timeout_s
      NoteEnd(EndReason::kIdleTimeout, pkt.status().message());
      co_return pkt.status();
    }
    if (absl::IsResourceExhausted(pkt.status())) co_return co_await PacketTooLarge();
    if (!pkt.ok()) co_return ClientGone(pkt.status());
    if (pkt->payload.empty()) co_return absl::InvalidArgumentError("empty command packet");
    finished_ = false;
    const uint8_t command = static_cast<uint8_t>(pkt->payload[0]);
    counters_.CountCommand(command);
    // Statements are timed from their command read to Dispatch's return, which is
    // after the last byte of the reply was written. steady_clock is a vDSO read.
    const bool timed = command == static_cast<uint8_t>(Command::kQuery) ||
                       command == static_cast<uint8_t>(Command::kStmtExecute);
    if (timed) ++statements_;
    // A loss reported by the last command explains the end only if the client
    // leaves right after it.
    if (command != static_cast<uint8_t>(Command::kQuit)) backend_lost_.clear();
    const Clock::time_point start = timed ? Clock::now() : Clock::time_point();
    absl::Status s = co_await Dispatch(*pkt);
    if (timed) counters_.ObserveStatement(NanosSince(start));
    effect_ = {};
    held_change_ = {};
    if (!finished_) {  // not forwarded, or cut short: FinishStatement didn't run
      SetCommand("Sleep", "");
      Publish();
    }
    if (!s.ok()) co_return s;
    if (ctx_->draining.load(std::memory_order_relaxed) && DrainableNow(&*pkt)) {
      NoteEnd(EndReason::kDrain, "closed after its command");
      co_return absl::CancelledError("drain: closed after its command");
    }
  }
  co_return absl::OkStatus();
}

bool ClientSession::DrainableNow(const net::Packet* last) const {
  if (!user_ || pinned_ >= 0 || closing_) return false;
  return !last || last->payload.empty() ||
         static_cast<Command>(last->payload[0]) != Command::kStmtSendLongData;
}

void ClientSession::CloseIfIdle() {
  if (!awaiting_command_ || !DrainableNow(nullptr)) return;
  // The read in CommandLoop fails at once; the session then ends as a client's
  // COM_QUIT would (server sessions pooled or quit, not killed).
  drain_closed_ = true;
  client_.Close();
}

asio::awaitable<absl::Status> ClientSession::PacketTooLarge() {
  // What MariaDB answers, and as it does, the connection is closed after it. Like
  // MariaDB, the rest of the packet is read and dropped first: closing with unread
  // bytes resets the connection, and the client would see 2006 instead of 1153. The
  // drop is bounded in bytes (MariaDB's largest max_allowed_packet) and in time.
  constexpr uint64_t kMaxDiscard = uint64_t{1} << 30;
  auto last = co_await net::RunWithin(client_.DiscardPacket(kMaxDiscard),
                                      absl::Seconds(config_->net_read_timeout_s));
  const uint8_t seq = last && last->ok() ? static_cast<uint8_t>(**last + 1) : 1;
  (co_await SendError(seq, 1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes"))
      .IgnoreError();
  co_return absl::ResourceExhaustedError("command larger than max_allowed_packet");
}

asio::awaitable<absl::StatusOr<net::Packet>> ClientSession::ReadCommand() {
  const size_t limit = std::min<size_t>(net::PacketConn::kMaxPayload,
                                        static_cast<size_t>(config_->max_allowed_packet));
  const int idle_limit_s = config_->wait_timeout_s;
  if (idle_limit_s <= 0) co_return co_await client_.ReadPacket(limit);
  // Only with the limit configured: the timer costs each command a little.
  auto pkt = co_await net::RunWithin(client_.ReadPacket(limit), absl::Seconds(idle_limit_s));
  if (!pkt) {
    co_return absl::DeadlineExceededError(
        absl::StrCat("idle for more than wait_timeout_s = ", idle_limit_s, " s"));
  }
  co_return *std::move(pkt);
}

asio::awaitable<absl::Status> ClientSession::Dispatch(const net::Packet& first) {
  auto cmd = static_cast<Command>(first.payload[0]);
  if (pending_error_ && cmd != Command::kQuit && cmd != Command::kPing &&
      cmd != Command::kStmtClose && cmd != Command::kStmtSendLongData) {
    mysql::ErrPacket err = *std::move(pending_error_);
    pending_error_.reset();
    if (err.code == 2013) NoteBackendLost(err.message);
    co_return co_await SendError(1, err.code, err.sql_state, err.message);
  }
  switch (cmd) {
    case Command::kQuit:
      NoteEnd(EndReason::kClientQuit);
      co_return absl::CancelledError("client quit");
    case Command::kPing:
      co_return co_await HandlePing();
    case Command::kQuery:
      co_return co_await HandleQuery(first);
    case Command::kInitDb:
      co_return co_await HandleInitDb(first);
    case Command::kResetConnection:
      co_return co_await HandleResetConnection();
    case Command::kFieldList:
      co_return co_await ForwardSimple(first, ResponseKind::kFieldList);
    case Command::kStatistics:
      co_return co_await ForwardSimple(first, ResponseKind::kStatistics);
    case Command::kSetOption:
      co_return co_await ForwardSimple(first, ResponseKind::kGeneric);
    case Command::kProcessInfo:
      // mysql_list_processes(): the backend's list, as SHOW PROCESSLIST shows it.
      co_return co_await ForwardSimple(first, ResponseKind::kGeneric);
    case Command::kProcessKill:
      SetCommand("Kill", "");
      co_return co_await ctx_->admin->ProcessKill(*this, first.payload);
    case Command::kStmtPrepare:
      co_return co_await HandleStmtPrepare(first);
    case Command::kStmtExecute:
      co_return co_await HandleStmtExecute(first);
    case Command::kStmtFetch:
      co_return co_await HandleStmtFetch(first);
    case Command::kStmtSendLongData:
      co_return co_await HandleStmtLongData(first);
    case Command::kStmtClose:
      co_return co_await HandleStmtClose(first);
    case Command::kStmtReset:
      co_return co_await HandleStmtReset(first);
    case Command::kChangeUser:
      co_return co_await HandleChangeUser(first);
    case Command::kStmtBulkExecute:
      // MariaDB's array execute, for a client that negotiated it with us.
      if (!(ext_caps_ & mysql::kMariaDbClientStmtBulkOperations)) break;
      co_return co_await HandleStmtBulkExecute(first);
    default:
      break;
  }
  co_return co_await SendError(1, 1047, "08S01", "Unknown command");
}

asio::awaitable<absl::Status> ClientSession::HandleQuery(const net::Packet& first) {
  absl::string_view sql = first.payload.substr(1);
  SetCommand("Query", sql);
  auto pre = sql::ParsePreamble(sql);
  if (!pre.ok()) co_return co_await SendError(1, 1064, "42000", pre.status().message());
  absl::string_view body = sql.substr(pre->body_offset);
  if ((caps_ & mysql::kClientMultiStatements) &&
      first.payload.size() < mysql::kMaxPacketPayload &&
      sql::PlanMultiStatement(body).has_value()) {
    co_return co_await RunMultiStatement(sql, body, pre->backend_hint);
  }
  const sql::StmtKind kind = sql::Classify(body);
  if (kind == sql::StmtKind::kProxyAdmin) {
    auto admin = sql::ParseAdminStatement(sql);
    if (!admin.ok()) co_return co_await SendError(1, 1064, "42000", admin.status().message());
    if (admin->has_value()) co_return co_await ctx_->admin->Execute(*this, **admin);
  }
  co_return co_await ForwardQuery(body, kind, first.raw, &first, pre->backend_hint);
}

asio::awaitable<absl::Status> ClientSession::ForwardQuery(absl::string_view body,
                                                          sql::StmtKind kind,
                                                          absl::string_view raw,
                                                          const net::Packet* first,
                                                          const std::optional<std::string>& hint) {
  // USE and SET change the session once the backend accepts them; the change is
  // applied (and published) before the client sees the reply, so SHOW
  // PROXYSESSION on another connection never lags behind what the client saw.
  if (kind == sql::StmtKind::kUse) {
    effect_ = {StatementEffect::kUse, std::string(body)};
  } else if (kind == sql::StmtKind::kSet) {
    effect_ = {StatementEffect::kSet, std::string(body)};
  } else if (kind == sql::StmtKind::kDropDatabase) {
    effect_ = {StatementEffect::kDropDb, std::string(body)};
  } else if (kind == sql::StmtKind::kOther) {
    held_change_ = sql::ScanHeldState(body);
  }
  ServerSession* ss = co_await Route(hint);
  if (ss == nullptr) co_return absl::OkStatus();
  // Scanned only while it can matter: once a server session needs a reset, it does.
  const bool stateless =
      kind == sql::StmtKind::kOther && !ss->needs_reset && sql::LeavesNoSessionState(body);
  co_return co_await Forward(ss, raw, first, ResponseKind::kGeneric, stateless);
}

void ClientSession::ApplyEffect(ServerSession* ss) {
  StatementEffect effect = std::move(effect_);
  effect_ = {};
  switch (effect.kind) {
    case StatementEffect::kNone:
      return;
    case StatementEffect::kInitDb:
      state_.db = ss->applied.db = effect.text;
      return;
    case StatementEffect::kUse: {
      auto db = sql::ParseUse(effect.text);
      if (db.ok()) state_.db = ss->applied.db = *db;
      return;
    }
    case StatementEffect::kDropDb: {
      // MariaDB leaves a session whose own database was dropped with none; the
      // server session must not be taken (or pooled) as still "in" it.
      auto db = sql::ParseDropDatabase(effect.text);
      if (!db.ok()) return;
      if (ss->applied.db == *db) ss->applied.db.clear();
      if (state_.db == *db) state_.db.clear();
      return;
    }
    case StatementEffect::kSet:
      break;
  }
  auto items = sql::ParseSet(effect.text);
  if (!items.ok()) return;
  for (const sql::SetItem& item : *items) {
    using Scope = sql::SetItem::Scope;
    switch (item.scope) {
      case Scope::kSession:
        if (item.name == "autocommit") break;  // tracked from status flags
        state_.vars[item.name] = item.value;
        break;
      case Scope::kUserVar:
        state_.vars["@" + item.name] = item.value;
        state_.assigned.erase("@" + item.name);
        break;
      case Scope::kGlobal:
        if (item.name == "max_allowed_packet" || item.name == "net_buffer_length") {
          ctx_->packet_limit_epoch.fetch_add(1, std::memory_order_relaxed);
        }
        ctx_->globals_epoch.fetch_add(1, std::memory_order_relaxed);
        break;
      case Scope::kNames:
        state_.names = item.collation.empty()
                           ? item.value
                           : absl::StrCat(item.value, " COLLATE ", item.collation);
        break;
      case Scope::kCharset:
        state_.names = absl::StrCat("CHARACTER SET ", item.value);
        break;
      case Scope::kOther:
        if (item.name == "role") state_.role = item.value;
        break;
      case Scope::kTransaction:
        // SESSION: the session's defaults, kept as the variables they set; GLOBAL:
        // new defaults, as SET GLOBAL. Plain SET TRANSACTION is for the next one only.
        if (item.name == "global") ctx_->globals_epoch.fetch_add(1, std::memory_order_relaxed);
        if (item.name != "session") break;
        if (auto vars = sql::TransactionVariables(item.value); vars.ok()) {
          for (auto& [name, value] : *vars) state_.vars[name] = std::move(value);
        }
        break;
      default:
        break;
    }
  }
  std::string keep_db = ss->applied.db;
  bool keep_ac = ss->applied.autocommit;
  ss->applied = state_;
  ss->applied.db = keep_db;
  ss->applied.autocommit = keep_ac;
}

asio::awaitable<absl::Status> ClientSession::HandleInitDb(const net::Packet& first) {
  SetCommand("Init DB", first.payload.substr(1));
  effect_ = {StatementEffect::kInitDb, std::string(first.payload.substr(1))};
  ServerSession* ss = co_await Route(std::nullopt);
  if (ss == nullptr) co_return absl::OkStatus();
  co_return co_await Forward(ss, first.raw, &first, ResponseKind::kGeneric);
}

asio::awaitable<absl::Status> ClientSession::HandlePing() {
  // The client hears of a loss once, here or at its next statement; a server
  // session that held nothing is replaced on the next statement, silently.
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!servers_[i] || !servers_[i]->LikelyGone()) continue;
    if (absl::Status lost = DropClosedServerSession(static_cast<int>(i)); !lost.ok()) {
      Publish();
      co_return co_await SendError(1, 2013, "HY000", lost.message());
    }
    Publish();
  }
  co_return co_await SendOk(1);
}

asio::awaitable<absl::Status> ClientSession::HandleResetConnection() {
  SetCommand("Reset connection", "");
  // Every server session is reset too, so none keeps state the client dropped.
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!servers_[i]) continue;
    absl::Status s = co_await servers_[i]->Reset();
    if (!s.ok()) DropServerSession(static_cast<int>(i));
  }
  std::string db = std::move(state_.db);
  state_ = StateSnapshot{};
  state_.db = std::move(db);
  stmts_.clear();
  pinned_ = -1;
  co_return co_await SendOk(1);
}

asio::awaitable<absl::Status> ClientSession::ForwardSimple(const net::Packet& first,
                                                           ResponseKind kind) {
  SetCommand("Query", "");
  ServerSession* ss = co_await Route(std::nullopt);
  if (ss == nullptr) co_return absl::OkStatus();
  co_return co_await Forward(ss, first.raw, &first, kind);
}

asio::awaitable<ServerSession*> ClientSession::Route(const std::optional<std::string>& hint,
                                                     int prefer) {
  int index = prefer >= 0 ? prefer : 0;
  if (hint) {
    index = -1;
    for (size_t i = 0; i < tenant_->backends.size(); ++i) {
      if (tenant_->backends[i].name == *hint) index = static_cast<int>(i);
    }
    if (index < 0) {
      std::vector<std::string> names;
      for (const auto& b : tenant_->backends) names.push_back(b.name);
      (co_await SendError(1, 1105, "HY000",
                          absl::StrCat("Unknown backend '", *hint, "' in tenant '", tenant_->name,
                                       "'; its backends are: ", absl::StrJoin(names, ", "))))
          .IgnoreError();
      co_return nullptr;
    }
  }
  if (pinned_ >= 0) {
    if (hint && index != pinned_) {
      (co_await SendError(
           1, 1105, "HY000",
           absl::StrCat("Cannot route to backend '", *hint, "' inside a transaction on backend '",
                        tenant_->backends[pinned_].name, "'; COMMIT or ROLLBACK first")))
          .IgnoreError();
      co_return nullptr;
    }
    index = pinned_;
  }
  auto ss = co_await Acquire(index);
  if (!ss.ok()) {
    // DataLoss: the backend closed a server session that held state (2013, as a
    // direct client would see it); otherwise the backend can't be reached.
    const uint16_t code = absl::IsDataLoss(ss.status()) ? 2013 : 2003;
    if (code == 2013) NoteBackendLost(ss.status().message());
    if (!closing_) (co_await SendError(1, code, "HY000", ss.status().message())).IgnoreError();
    co_return nullptr;
  }
  co_return *ss;
}

asio::awaitable<absl::StatusOr<ServerSession*>> ClientSession::Acquire(int index) {
  const config::Backend& backend = tenant_->backends[index];
  auto unavailable = [&](const absl::Status& why) {
    return absl::UnavailableError(absl::StrCat("Backend '", backend.name, "' (", backend.address,
                                               ") unavailable: ", why.message()));
  };
  // A backend that closed an idle connection is noticed here, before a
  // statement is sent into it.
  if (servers_[index] && servers_[index]->LikelyGone()) {
    if (absl::Status lost = DropClosedServerSession(index); !lost.ok()) co_return lost;
  }
  if (!servers_[index]) {
    std::unique_ptr<ServerSession> pooled =
        ctx_->pools[thread_index_]->Take(PoolKeyFor(index), state_.db);
    if (pooled && pooled->packet_limit_epoch !=
                      ctx_->packet_limit_epoch.load(std::memory_order_relaxed)) {
      pooled->conn().Close();  // its packet limit is the one of its login
      pooled.reset();
    }
    const uint64_t epoch = ctx_->globals_epoch.load(std::memory_order_relaxed);
    if (pooled && pooled->globals_epoch != epoch) {
      // Pooled without a reset before a SET GLOBAL: its session defaults are old.
      if ((co_await pooled->Reset()).ok()) {
        pooled->globals_epoch = epoch;
        pooled->MarkIdle();
      } else {
        pooled->conn().Close();
        pooled.reset();
      }
    }
    if (pooled) {
      pooled->Rebind(backend, runtime_);  // it may come from an older generation
      pooled->from_pool = true;
      servers_[index] = std::move(pooled);
      Publish();
    }
  }
  if (!servers_[index]) {
    auto ss = std::make_unique<ServerSession>(
        ctx_->next_ss_id.fetch_add(1, std::memory_order_relaxed), backend, executor_);
    ss->Rebind(backend, runtime_);
    LoginParams login{user_->name, stage1_,        caps_,
                      ext_caps_,   charset_,       state_.db,
                      connect_attrs_, runtime_->BackendTls(&backend)};
    const uint64_t epoch = ctx_->globals_epoch.load(std::memory_order_relaxed);
    const uint64_t limit_epoch = ctx_->packet_limit_epoch.load(std::memory_order_relaxed);
    absl::Status s =
        co_await ss->Connect(login, absl::Milliseconds(config_->connect_timeout_ms));
    ss->globals_epoch = epoch;
    ss->packet_limit_epoch = limit_epoch;
    // A backend that answered (even "access denied") is up.
    ctx_->RecordConnect(tenant_->name, backend.name, ss->backend_error() ? absl::OkStatus() : s);
    if (!s.ok()) {
      last_backend_error_ = ss->backend_error();
      co_return unavailable(s);
    }
    servers_[index] = std::move(ss);
    Publish();
  }
  ServerSession* ss = servers_[index].get();
  if (!(ss->applied == state_)) {
    if (absl::Status lost = co_await PinUserVarValues(index); !lost.ok()) co_return lost;
    ss->state = ServerState::kActive;  // not droppable by a kill while replaying
    absl::Status s = co_await ss->Sync(state_);
    ss->state = ServerState::kIdle;
    if (!s.ok()) {
      last_backend_error_ = ss->backend_error();
      DropServerSession(index);
      co_return unavailable(s);
    }
  }
  current_ = index;
  co_return ss;
}

}  // namespace obp::session
