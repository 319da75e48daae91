// Prepared statements (COM_STMT_*). The client sees statement ids of the client
// session's own; each server session maps them to its backend's ids. A statement
// is prepared again, transparently, on a server session that hasn't seen it (a new
// backend, or a server session that was closed), and the parameter types the
// client sent once are re-sent with the first execute there.
#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/stmt_execute.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/session/client_session.h"
#include "proxyd/sql/held_state.h"
#include "proxyd/sql/preamble.h"

namespace obp::session {
namespace {
using mysql::Command;
using mysql::ResponseKind;

uint32_t LoadU32(absl::string_view p, size_t at) {
  return static_cast<uint8_t>(p[at]) | static_cast<uint8_t>(p[at + 1]) << 8 |
         static_cast<uint8_t>(p[at + 2]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(p[at + 3])) << 24;
}
uint16_t LoadU16(absl::string_view p, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[at]) | static_cast<uint8_t>(p[at + 1]) << 8);
}
void StoreU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string Frame(absl::string_view payload) {
  std::string out;
  uint8_t seq = 0;
  mysql::AppendPacket(&out, &seq, payload);
  return out;
}

std::string UnknownStmt(uint32_t id, absl::string_view where) {
  return absl::StrCat("Unknown prepared statement handler (", id, ") given to ", where);
}
}  // namespace

asio::awaitable<absl::Status> ClientSession::HandleStmtPrepare(const net::Packet& first) {
  absl::string_view sql = first.payload.substr(1);
  SetCommand("Prepare", sql);
  auto pre = sql::ParsePreamble(sql);
  if (!pre.ok()) co_return co_await SendError(1, 1064, "42000", pre.status().message());
  ServerSession* ss = co_await Route(pre->backend_hint);
  if (ss == nullptr) co_return absl::OkStatus();
  busy_ = true;
  ss->state = ServerState::kActive;
  absl::Status s = co_await ForwardPrepare(ss, first, sql);
  busy_ = false;
  ss->state = ServerState::kIdle;
  co_return s;
}

asio::awaitable<absl::Status> ClientSession::ForwardPrepare(ServerSession* ss,
                                                            const net::Packet& first,
                                                            absl::string_view sql) {
  std::string sql_copy(sql);  // `first` dies with the next client read
  ss->needs_reset = true;
  if (absl::Status s = co_await ss->conn().Write(first.raw); !s.ok()) {
    DropServerSession(current_);
    co_return co_await SendError(1, 2013, "HY000", absl::StrCat("Lost connection to backend: ", s.message()));
  }
  auto reply = co_await ss->conn().ReadPacket();
  if (!reply.ok()) {
    DropServerSession(current_);
    co_return co_await SendError(1, 2013, "HY000", absl::StrCat("Lost connection to backend: ", reply.status().message()));
  }
  mysql::ResponseScanner& scanner = ss->scanner();
  scanner.Reset(ResponseKind::kStmtPrepare);
  auto used = scanner.Feed(reply->raw);
  if (!used.ok() || *used != reply->raw.size()) {
    ss->conn().Close();
    client_.Close();
    co_return absl::CancelledError("malformed prepare response");
  }
  std::string patched(reply->raw);
  uint32_t proxy_id = 0;
  if (mysql::IsOkPacket(reply->payload) && reply->payload.size() >= 9) {
    proxy_id = next_stmt_id_++;
    last_prepared_id_ = proxy_id;
    PreparedStatement ps;
    ps.sql = std::move(sql_copy);
    if (sql::Classify(ps.sql) == sql::StmtKind::kOther) ps.held = sql::ScanHeldState(ps.sql);
    ps.backend = current_;
    ps.num_columns = LoadU16(reply->payload, 5);
    ps.num_params = LoadU16(reply->payload, 7);
    ss->stmts[proxy_id] = PreparedOnBackend{LoadU32(reply->payload, 1), false};
    stmts_[proxy_id] = std::move(ps);
    StoreU32(patched.data() + 5, proxy_id);
  }
  if (absl::Status s = co_await client_.Write(patched); !s.ok()) {
    ss->conn().Close();
    co_return absl::CancelledError(s.message());
  }
  if (scanner.done()) co_return absl::OkStatus();
  co_return co_await StreamResponse(ss, ResponseKind::kStmtPrepare, /*reset=*/false);
}

asio::awaitable<absl::Status> ClientSession::EnsurePrepared(ServerSession* ss, uint32_t id,
                                                            PreparedStatement& ps) {
  if (ss->stmts.contains(id)) co_return absl::OkStatus();
  std::string cmd(1, static_cast<char>(Command::kStmtPrepare));
  cmd += ps.sql;
  ss->state = ServerState::kActive;
  auto r = co_await ss->Run(cmd, ResponseKind::kStmtPrepare);
  ss->state = ServerState::kIdle;
  if (!r.ok()) co_return r.status();
  if (r->is_error) {
    last_backend_error_ = r->error;
    co_return absl::FailedPreconditionError(r->error.message);
  }
  ss->stmts[id] = PreparedOnBackend{r->stmt_id, false};
  co_return absl::OkStatus();
}

asio::awaitable<ServerSession*> ClientSession::PreparedServerSession(uint32_t id,
                                                                    PreparedStatement& ps) {
  ServerSession* ss = co_await Route(std::nullopt, ps.backend);
  if (ss == nullptr) co_return nullptr;
  absl::Status s = co_await EnsurePrepared(ss, id, ps);
  if (s.ok()) co_return ss;
  if (last_backend_error_) {
    (co_await SendError(1, last_backend_error_->code, last_backend_error_->sql_state,
                        last_backend_error_->message))
        .IgnoreError();
  } else {
    (co_await SendError(1, 2013, "HY000", s.message())).IgnoreError();
  }
  co_return nullptr;
}

asio::awaitable<absl::Status> ClientSession::HandleStmtExecute(const net::Packet& first) {
  auto hdr = mysql::ParseStmtExecuteHeader(first.payload);
  if (!hdr.ok()) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
  const uint32_t id = ResolveStmtId(hdr->stmt_id);
  auto it = stmts_.find(id);
  if (it == stmts_.end()) {
    co_return co_await SendError(1, 1243, "HY000", UnknownStmt(hdr->stmt_id, "mysqld_stmt_execute"));
  }
  PreparedStatement& ps = it->second;
  SetCommand("Execute", ps.sql);
  ServerSession* ss = co_await PreparedServerSession(id, ps);
  if (ss == nullptr) co_return absl::OkStatus();
  PreparedOnBackend& on_backend = ss->stmts[id];
  bool multi = first.payload.size() == mysql::kMaxPacketPayload;
  std::string payload(first.payload);
  if (ps.num_params > 0 && !multi) {
    auto bound = mysql::NewParamsBound(payload, ps.num_params);
    if (!bound.ok()) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
    if (*bound) {
      auto types = mysql::ExtractParamTypes(payload, ps.num_params);
      if (types.ok()) ps.param_types = *types;
      on_backend.types_sent = true;
    } else if (!on_backend.types_sent && !ps.param_types.empty()) {
      auto injected = mysql::InjectParamTypes(payload, ps.num_params, ps.param_types);
      if (injected.ok()) payload = *std::move(injected);
      on_backend.types_sent = true;
    }
  }
  mysql::RewriteStmtId(&payload, on_backend.backend_id);
  const bool cursor = hdr->flags & 0x0F;
  if (cursor) ps.cursor_backend = current_;
  // MariaDB prepares USE and DROP DATABASE too; they change the session's database
  // as their text forms do (mariadb-test --ps-protocol found it: a server session
  // went back to the pool taken as "in" a database it had left).
  switch (sql::Classify(ps.sql)) {
    case sql::StmtKind::kUse:
      effect_ = {StatementEffect::kUse, ps.sql};
      break;
    case sql::StmtKind::kDropDatabase:
      effect_ = {StatementEffect::kDropDb, ps.sql};
      break;
    case sql::StmtKind::kOther:
      held_change_ = ps.held;
      break;
    default:
      break;
  }
  std::string out;
  if (multi) {
    out = std::string(first.raw.substr(0, 4)) + payload;  // same length, same header
  } else {
    out = Frame(payload);
  }
  co_return co_await Forward(ss, out, &first,
                             cursor ? ResponseKind::kStmtExecuteCursor : ResponseKind::kGeneric);
}

asio::awaitable<absl::Status> ClientSession::HandleStmtBulkExecute(const net::Packet& first) {
  auto flags = mysql::ParseBulkFlags(first.payload);
  if (!flags.ok()) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
  const uint32_t sent_id = LoadU32(first.payload, 1);
  const uint32_t id = ResolveStmtId(sent_id);
  auto it = stmts_.find(id);
  if (it == stmts_.end()) {
    co_return co_await SendError(1, 1243, "HY000", UnknownStmt(sent_id, "mysqld_stmt_bulk_execute"));
  }
  PreparedStatement& ps = it->second;
  SetCommand("Execute", ps.sql);
  ServerSession* ss = co_await PreparedServerSession(id, ps);
  if (ss == nullptr) co_return absl::OkStatus();
  PreparedOnBackend& on_backend = ss->stmts[id];
  const bool multi = first.payload.size() == mysql::kMaxPacketPayload;
  std::string payload(first.payload);
  // As with EXECUTE: types sent once are what MariaDB uses for later calls, so a
  // statement prepared again on this server session gets them re-sent.
  if (ps.num_params > 0 && !multi) {
    if (*flags & mysql::kBulkSendTypes) {
      auto types = mysql::ExtractBulkParamTypes(payload, ps.num_params);
      if (!types.ok()) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
      ps.param_types = *types;
      on_backend.types_sent = true;
    } else if (!on_backend.types_sent && !ps.param_types.empty()) {
      auto injected = mysql::InjectBulkParamTypes(payload, ps.num_params, ps.param_types);
      if (injected.ok()) payload = *std::move(injected);
      on_backend.types_sent = true;
    }
  }
  mysql::RewriteStmtId(&payload, on_backend.backend_id);
  std::string out = multi ? std::string(first.raw.substr(0, 4)) + payload : Frame(payload);
  co_return co_await Forward(ss, out, &first, ResponseKind::kGeneric);
}

asio::awaitable<absl::Status> ClientSession::HandleStmtFetch(const net::Packet& first) {
  if (first.payload.size() < 9) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
  uint32_t id = LoadU32(first.payload, 1);
  auto it = stmts_.find(id);
  int index = it == stmts_.end() ? -1 : it->second.cursor_backend;
  if (index < 0 || !servers_[index] || !servers_[index]->stmts.contains(id)) {
    co_return co_await SendError(1, 1243, "HY000", UnknownStmt(id, "mysqld_stmt_fetch"));
  }
  SetCommand("Fetch", it->second.sql);
  ServerSession* ss = servers_[index].get();
  current_ = index;
  std::string payload(first.payload);
  mysql::RewriteStmtId(&payload, ss->stmts[id].backend_id);
  co_return co_await Forward(ss, Frame(payload), nullptr, ResponseKind::kStmtFetch);
}

asio::awaitable<absl::Status> ClientSession::HandleStmtLongData(const net::Packet& first) {
  // No reply, ever: a failure here shows up at the EXECUTE that follows.
  if (first.payload.size() < 7) co_return absl::OkStatus();
  uint32_t id = LoadU32(first.payload, 1);
  auto it = stmts_.find(id);
  if (it == stmts_.end()) co_return absl::OkStatus();
  int index = pinned_ >= 0 ? pinned_ : it->second.backend;
  std::string payload(first.payload);
  auto ss = co_await Acquire(index);
  if (!ss.ok()) {
    // No reply here, so a lost server session is reported by the next command.
    if (absl::IsDataLoss(ss.status())) {
      pending_error_ = mysql::ErrPacket{2013, "HY000", std::string(ss.status().message())};
    }
    co_return absl::OkStatus();
  }
  if (!(co_await EnsurePrepared(*ss, id, it->second)).ok()) co_return absl::OkStatus();
  mysql::RewriteStmtId(&payload, (*ss)->stmts[id].backend_id);
  if (!(co_await (*ss)->conn().Write(Frame(payload))).ok()) DropServerSession(index);
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> ClientSession::HandleStmtClose(const net::Packet& first) {
  if (first.payload.size() < 5) co_return absl::OkStatus();
  uint32_t id = LoadU32(first.payload, 1);
  if (stmts_.erase(id) == 0) co_return absl::OkStatus();
  for (size_t i = 0; i < servers_.size(); ++i) {
    ServerSession* ss = servers_[i].get();
    if (!ss) continue;
    auto found = ss->stmts.find(id);
    if (found == ss->stmts.end()) continue;
    std::string payload(first.payload.substr(0, 5));
    mysql::RewriteStmtId(&payload, found->second.backend_id);
    ss->stmts.erase(found);
    if (!(co_await ss->conn().Write(Frame(payload))).ok()) DropServerSession(static_cast<int>(i));
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> ClientSession::HandleStmtReset(const net::Packet& first) {
  if (first.payload.size() < 5) co_return co_await SendError(1, 1835, "HY000", "Malformed communication packet");
  uint32_t id = LoadU32(first.payload, 1);
  auto it = stmts_.find(id);
  if (it == stmts_.end()) {
    co_return co_await SendError(1, 1243, "HY000", UnknownStmt(id, "mysqld_stmt_reset"));
  }
  int index = pinned_ >= 0 ? pinned_ : it->second.backend;
  ServerSession* ss = servers_[index].get();
  if (!ss || !ss->stmts.contains(id)) co_return co_await SendOk(1);
  current_ = index;
  std::string payload(first.payload);
  mysql::RewriteStmtId(&payload, ss->stmts[id].backend_id);
  co_return co_await Forward(ss, Frame(payload), nullptr, ResponseKind::kGeneric);
}

}  // namespace obp::session
