#include "absl/strings/string_view.h"
#include "proxyd/session/server_session.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/auth.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/handshake.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/mysql/wire.h"

namespace obp::session {
namespace {
using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// Capabilities that change what the server sends; a backend lacking one that the
// client negotiated would answer in a format the client doesn't expect.
constexpr uint32_t kFormatCaps = mysql::kClientProtocol41 | mysql::kClientDeprecateEof |
                                 mysql::kClientMultiResults | mysql::kClientPsMultiResults |
                                 mysql::kClientMultiStatements;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

asio::awaitable<absl::StatusOr<tcp::socket>> ConnectSocket(asio::any_io_executor ex,
                                                           const config::Backend& b) {
  tcp::resolver resolver(ex);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(b.hp.host, std::to_string(b.hp.port), kNoThrow);
  if (rec) co_return net::SocketError(rec, "resolve");
  tcp::socket sock(ex);
  auto [cec, ep] = co_await asio::async_connect(sock, endpoints, kNoThrow);
  if (cec) co_return net::SocketError(cec, "connect");
  sock.set_option(tcp::no_delay(true));
  co_return std::move(sock);
}

// Runs `op` with a deadline; on expiry the socket is closed so `op` ends too.
template <class T>
asio::awaitable<absl::StatusOr<T>> WithTimeout(asio::awaitable<absl::StatusOr<T>> op,
                                               absl::Duration timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, ToChrono(timeout));
  auto result = co_await (std::move(op) || timer.async_wait(asio::use_awaitable));
  if (result.index() == 1) {
    co_return absl::DeadlineExceededError(
        absl::StrCat("timed out after ", absl::FormatDuration(timeout)));
  }
  co_return std::move(std::get<0>(result));
}

absl::Status ErrToStatus(absl::string_view payload, absl::string_view during,
                         std::optional<mysql::ErrPacket>* keep = nullptr) {
  auto err = mysql::DecodeErr(payload);
  if (!err.ok()) return absl::InternalError(absl::StrCat("malformed error packet ", during));
  if (keep) *keep = *err;
  return absl::PermissionDeniedError(
      absl::StrCat(during, ": ", err->code, " (", err->sql_state, ") ", err->message));
}
}  // namespace

uint32_t ProxyServerCapabilities() {
  using namespace mysql;
  return kClientMysql | kClientFoundRows | kClientLongFlag | kClientConnectWithDb |
         kClientNoSchema | kClientOdbc | kClientLocalFiles | kClientIgnoreSpace |
         kClientProtocol41 | kClientInteractive | kClientIgnoreSigpipe | kClientTransactions |
         kClientSecureConnection | kClientMultiStatements | kClientMultiResults |
         kClientPsMultiResults | kClientPluginAuth | kClientConnectAttrs |
         kClientPluginAuthLenencData | kClientDeprecateEof;
}

ServerSession::ServerSession(uint32_t ss_id, const config::Backend& backend,
                             asio::any_io_executor ex)
    : ss_id_(ss_id),
      backend_(&backend),
      conn_(net::PacketConn::Socket(ex)),
      scanner_(0, mysql::ResponseKind::kGeneric) {}

uint16_t ServerSession::server_port() const { return backend_->hp.port; }

asio::awaitable<absl::Status> ServerSession::Connect(const LoginParams& login,
                                                     absl::Duration timeout) {
  auto ex = co_await asio::this_coro::executor;
  auto attempt = [](ServerSession* self, asio::any_io_executor ex,
                    LoginParams login) -> asio::awaitable<absl::StatusOr<bool>> {
    auto sock = co_await ConnectSocket(ex, *self->backend_);
    if (!sock.ok()) co_return sock.status();
    std::error_code ec;
    auto ep = sock->remote_endpoint(ec);
    self->server_ip_ = ec ? self->backend_->hp.host : ep.address().to_string();
    self->conn_.socket() = net::PacketConn::Socket(std::move(*sock));
    absl::Status s = co_await self->Login(login);
    if (!s.ok()) co_return s;
    co_return true;
  };
  auto r = co_await WithTimeout<bool>(attempt(this, ex, login), timeout);
  if (!r.ok()) {
    conn_.Close();
    co_return r.status();
  }
  applied.db = login.database;
  state = ServerState::kIdle;
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> ServerSession::Login(const LoginParams& login) {
  auto greeting_pkt = co_await conn_.ReadPacket();
  if (!greeting_pkt.ok()) co_return greeting_pkt.status();
  if (mysql::IsErrPacket(greeting_pkt->payload)) {
    co_return ErrToStatus(greeting_pkt->payload, "greeting", &backend_error_);
  }
  auto greeting = mysql::DecodeInitialHandshake(greeting_pkt->payload);
  if (!greeting.ok()) co_return greeting.status();
  if ((login.caps & kFormatCaps) & ~greeting->capabilities) {
    co_return absl::FailedPreconditionError("backend lacks capabilities the client negotiated");
  }
  // Extended metadata changes every column definition the client reads.
  if ((login.ext_caps & mysql::kMariaDbClientExtendedMetadata) &
      ~greeting->mariadb_ext_capabilities) {
    co_return absl::FailedPreconditionError(
        "backend lacks MariaDB's extended metadata, which the client negotiated");
  }
  connection_id_ = greeting->connection_id;
  server_version_ = greeting->server_version;
  caps_ = (login.caps & greeting->capabilities) | mysql::kClientMysql |
          mysql::kClientProtocol41 | mysql::kClientSecureConnection | mysql::kClientPluginAuth;
  caps_ &= ~(mysql::kClientSsl | mysql::kClientCompress | mysql::kClientConnectWithDb |
             mysql::kClientConnectAttrs);
  // MariaDB's extended capabilities travel only with kClientMysql clear; a MySQL
  // backend (kClientMysql set in its greeting) has none.
  ext_caps_ = login.ext_caps & greeting->mariadb_ext_capabilities;
  if (ext_caps_ != 0) caps_ &= ~mysql::kClientMysql;
  if (login.tls != nullptr) caps_ |= mysql::kClientSsl;
  uint8_t seq = greeting_pkt->seq + 1;
  mysql::HandshakeResponse resp;
  resp.max_packet_size = 1 << 30;
  resp.charset = login.charset;
  resp.username = login.user;
  if (!login.database.empty()) {
    caps_ |= mysql::kClientConnectWithDb;
    resp.database = login.database;
  }
  if (!login.connect_attrs.empty() && (greeting->capabilities & mysql::kClientConnectAttrs)) {
    caps_ |= mysql::kClientConnectAttrs;
    resp.connect_attrs = login.connect_attrs;
  }
  resp.capabilities = caps_;
  resp.mariadb_ext_capabilities = ext_caps_;
  // The SSLRequest carries the final capabilities: MariaDB keeps the ones it read
  // there (a database sent later without CONNECT_WITH_DB in them is ignored).
  if (login.tls != nullptr) {
    if (absl::Status s = co_await StartTls(*login.tls, greeting->capabilities, login.charset, &seq);
        !s.ok()) {
      co_return s;
    }
  }
  resp.auth_plugin_name = "mysql_native_password";
  std::string scramble = greeting->scramble.substr(0, 20);
  if (!login.stage1.empty()) resp.auth_response = mysql::NativePasswordToken(login.stage1, scramble);
  std::string out;
  mysql::AppendPacket(&out, &seq, mysql::EncodeHandshakeResponse(resp));
  if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
  for (int round = 0; round < 3; ++round) {
    auto reply = co_await conn_.ReadPacket();
    if (!reply.ok()) co_return reply.status();
    absl::string_view p = reply->payload;
    if (p.empty()) co_return absl::InternalError("empty packet during login");
    if (mysql::IsOkPacket(p)) {
      scanner_ = mysql::ResponseScanner(caps_, mysql::ResponseKind::kGeneric);
      co_return absl::OkStatus();
    }
    if (mysql::IsErrPacket(p)) co_return ErrToStatus(p, "login", &backend_error_);
    if (static_cast<uint8_t>(p[0]) != 0xFE) {
      co_return absl::UnimplementedError("backend asked for an unsupported auth step");
    }
    auto sw = mysql::DecodeAuthSwitchRequest(p);
    if (!sw.ok()) co_return sw.status();
    if (sw->plugin != "mysql_native_password") {
      co_return absl::UnimplementedError(
          absl::StrCat("backend wants auth plugin '", sw->plugin, "'; only mysql_native_password is supported"));
    }
    std::string token;
    if (!login.stage1.empty()) token = mysql::NativePasswordToken(login.stage1, sw->data.substr(0, 20));
    out.clear();
    seq = reply->seq + 1;
    mysql::AppendPacket(&out, &seq, token);
    if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
  }
  co_return absl::InternalError("too many authentication rounds");
}

asio::awaitable<absl::Status> ServerSession::StartTls(asio::ssl::context& tls,
                                                      uint32_t server_caps, uint8_t charset,
                                                      uint8_t* seq) {
  if (!(server_caps & mysql::kClientSsl)) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("backend '", backend_->name, "' does not offer TLS, which its tls requires"));
  }
  std::string out;
  mysql::AppendPacket(&out, seq, mysql::EncodeSslRequest(caps_, 1 << 30, charset, ext_caps_));
  if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
  const std::string verify_host =
      backend_->tls == config::BackendTls::kVerifyIdentity ? backend_->hp.host : "";
  absl::Status s = co_await conn_.ConnectTls(tls, verify_host);
  if (!s.ok()) {
    co_return absl::UnavailableError(absl::StrCat("backend '", backend_->name, "': ", s.message()));
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> ServerSession::Reset() {
  std::string cmd(1, static_cast<char>(mysql::Command::kResetConnection));
  auto r = co_await Run(cmd, mysql::ResponseKind::kGeneric);
  if (!r.ok()) co_return r.status();
  if (r->is_error) co_return absl::FailedPreconditionError(r->error.message);
  std::string db = applied.db;
  applied = StateSnapshot{};
  applied.db = std::move(db);
  stmts.clear();
  in_transaction = false;
  held = 0;
  sql_prepared.clear();
  needs_reset = false;
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<CommandResult>> ServerSession::Run(absl::string_view payload,
                                                                  mysql::ResponseKind kind) {
  needs_reset = true;  // state replay, prepares, resets: Reset() clears it on success
  std::string out;
  uint8_t seq = 0;
  mysql::AppendPacket(&out, &seq, payload);
  if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
  scanner_.Reset(kind);
  while (!scanner_.done()) {
    auto bytes = co_await conn_.Peek();
    if (!bytes.ok()) co_return bytes.status();
    auto used = scanner_.Feed(*bytes);
    if (!used.ok()) co_return used.status();
    conn_.Consume(*used);
    if (scanner_.wants_local_infile()) {
      // The proxy never asks for files; answer with an empty file.
      out.clear();
      seq = scanner_.last_seq() + 1;
      mysql::AppendPacket(&out, &seq, "");
      if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
      scanner_.ResumeAfterLocalInfile();
    }
  }
  CommandResult r;
  r.is_error = scanner_.is_error();
  if (r.is_error) r.error = scanner_.error();
  r.status_flags = scanner_.final_status_flags();
  if (kind == mysql::ResponseKind::kStmtPrepare && !r.is_error) r.stmt_id = scanner_.stmt_id();
  if (!r.is_error && scanner_.has_status()) {
    in_transaction = r.status_flags & mysql::kServerStatusInTrans;
  }
  co_return r;
}

asio::awaitable<absl::StatusOr<ServerSession::QueryValue>> ServerSession::QueryFirstValue(
    absl::string_view sql) {
  needs_reset = true;  // an expression may call a function that leaves state behind
  auto r = co_await QueryFirstRow(sql);
  if (!r.ok()) co_return r.status();
  QueryValue v;
  v.error = std::move(r->error);
  if (!r->row.empty()) v.value = std::move(r->row[0]);
  co_return v;
}

asio::awaitable<absl::StatusOr<ServerSession::QueryRow>> ServerSession::QueryFirstRow(
    absl::string_view sql) {
  std::string cmd(1, static_cast<char>(mysql::Command::kQuery));
  cmd.append(sql.data(), sql.size());
  std::string out;
  uint8_t seq = 0;
  mysql::AppendPacket(&out, &seq, cmd);
  if (absl::Status s = co_await conn_.Write(out); !s.ok()) co_return s;
  QueryRow v;
  auto first = co_await conn_.ReadPacket();
  if (!first.ok()) co_return first.status();
  // The backend's error, before the result set or in its middle, is the answer.
  auto backend_error = [](absl::string_view payload) -> absl::StatusOr<QueryRow> {
    auto err = mysql::DecodeErr(payload);
    if (!err.ok()) return err.status();
    QueryRow failed;
    failed.error = *std::move(err);
    return failed;
  };
  if (mysql::IsErrPacket(first->payload)) co_return backend_error(first->payload);
  mysql::Reader count_reader(first->payload);
  auto columns = count_reader.ReadLenEnc();
  if (!columns.ok() || *columns == 0) co_return absl::InternalError("expected a result set");
  const bool extended = ext_caps_ & mysql::kMariaDbClientExtendedMetadata;
  for (uint64_t i = 0; i < *columns; ++i) {
    auto p = co_await conn_.ReadPacket();
    if (!p.ok()) co_return p.status();
    auto col = mysql::DecodeColumnDef(p->payload, extended);
    if (!col.ok()) co_return col.status();
    v.columns.push_back(*std::move(col));
  }
  // Without CLIENT_DEPRECATE_EOF an EOF ends the definitions; then rows up to the
  // EOF/OK that ends them, or an error in their middle.
  if (!(caps_ & mysql::kClientDeprecateEof)) {
    auto p = co_await conn_.ReadPacket();
    if (!p.ok()) co_return p.status();
  }
  bool have_row = false;
  bool continuing = false;  // the packet before was a full one: this one goes on with it
  bool too_large = false;
  for (;;) {
    auto row = co_await conn_.ReadPacket();
    if (!row.ok()) co_return row.status();
    const bool was_continuing = continuing;
    continuing = row->payload.size() == mysql::kMaxPacketPayload;
    if (was_continuing) continue;
    if (mysql::IsErrPacket(row->payload)) co_return backend_error(row->payload);
    if (mysql::IsEofPacket(row->payload)) {  // EOF, or OK-as-EOF: the end of the rows
      // A first row of 16 MiB or more is read through and dropped, not kept: the
      // connection stays usable, and the caller is told it got no value.
      if (too_large) v.error = mysql::ErrPacket{1301, "HY000", "row of 16 MiB or more"};
      co_return v;
    }
    if (have_row) continue;  // only the first row counts
    have_row = true;
    if (continuing) {
      too_large = true;
      continue;
    }
    mysql::Reader r(row->payload);
    for (uint64_t i = 0; i < *columns; ++i) {
      auto is_null = r.PeekU8();
      if (!is_null.ok()) co_return is_null.status();
      if (*is_null == 0xFB) {
        if (absl::Status s = r.Skip(1); !s.ok()) co_return s;
        v.row.emplace_back(std::nullopt);
        continue;
      }
      auto field = r.ReadLenEncString();
      if (!field.ok()) co_return field.status();
      v.row.emplace_back(std::string(*field));
    }
  }
}

asio::awaitable<absl::Status> ServerSession::Sync(const StateSnapshot& want) {
  ReplayPlan plan = PlanReplay(applied, want);
  if (!plan.init_db.empty()) {
    std::string cmd(1, static_cast<char>(mysql::Command::kInitDb));
    cmd += plan.init_db;
    auto r = co_await Run(cmd, mysql::ResponseKind::kGeneric);
    if (!r.ok()) co_return r.status();
    if (r->is_error) {
      backend_error_ = r->error;
      co_return absl::FailedPreconditionError(
          absl::StrCat("replaying database '", plan.init_db, "': ", r->error.message));
    }
  }
  const std::string* statements[] = {&plan.set_statement, &plan.role_statement};
  for (const std::string* statement : statements) {
    if (statement->empty()) continue;
    std::string cmd(1, static_cast<char>(mysql::Command::kQuery));
    cmd += *statement;
    auto r = co_await Run(cmd, mysql::ResponseKind::kGeneric);
    if (!r.ok()) co_return r.status();
    if (r->is_error) {
      backend_error_ = r->error;
      co_return absl::FailedPreconditionError(
          absl::StrCat("replaying session state: ", r->error.message));
    }
  }
  std::string keep_db = applied.db;
  applied = want;
  if (want.db.empty()) applied.db = keep_db;
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<mysql::InitialHandshake>> ProbeBackend(
    asio::any_io_executor ex, const config::Backend& backend, absl::Duration timeout) {
  auto probe = [](asio::any_io_executor ex,
                  const config::Backend* b) -> asio::awaitable<absl::StatusOr<mysql::InitialHandshake>> {
    auto sock = co_await ConnectSocket(ex, *b);
    if (!sock.ok()) co_return sock.status();
    net::PacketConn conn(std::move(*sock));
    auto pkt = co_await conn.ReadPacket();
    if (!pkt.ok()) co_return pkt.status();
    if (mysql::IsErrPacket(pkt->payload)) co_return ErrToStatus(pkt->payload, "greeting");
    co_return mysql::DecodeInitialHandshake(pkt->payload);
  };
  co_return co_await WithTimeout<mysql::InitialHandshake>(probe(ex, &backend), timeout);
}

}  // namespace obp::session
