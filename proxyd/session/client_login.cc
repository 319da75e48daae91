// The client side of the handshake: proxyd's greeting, mysql_native_password
// verification against the config's users, tenant/cluster resolution, and the
// login database check. COM_CHANGE_USER (client_change_user.cc) authenticates
// and checks its database with the same pieces.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/auth.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/handshake.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/session/client_session.h"

namespace obp::session {
namespace {

// True if the client's connect attributes name `key` with `value`.
bool HasAttr(absl::string_view attrs, absl::string_view key, absl::string_view value) {
  mysql::Reader r(attrs);
  if (!r.ReadLenEnc().ok()) return false;  // the block's total length
  while (!r.empty()) {
    auto k = r.ReadLenEncString();
    if (!k.ok()) return false;
    auto v = r.ReadLenEncString();
    if (!v.ok()) return false;
    if (*k == key && *v == value) return true;
  }
  return false;
}

struct LoginName {
  std::string user, tenant, cluster;
};

// SPEC §1: user, user@tenant or user@tenant#cluster.
LoginName SplitLoginName(absl::string_view name) {
  LoginName out;
  size_t at = name.find('@');
  out.user = std::string(name.substr(0, at));
  if (at == absl::string_view::npos) return out;
  absl::string_view rest = name.substr(at + 1);
  size_t hash = rest.find('#');
  out.tenant = std::string(rest.substr(0, hash));
  if (hash != absl::string_view::npos) out.cluster = std::string(rest.substr(hash + 1));
  return out;
}

}  // namespace

asio::awaitable<absl::Status> ClientSession::SendAccessDenied(uint8_t seq, absl::string_view user,
                                                              bool used_password) {
  counters_.CountLoginFailure(metrics::LoginFailure::kAccessDenied);
  const std::string message =
      absl::StrCat("Access denied for user '", user, "'@'", handle_->facts().host_ip,
                   "' (using password: ", used_password ? "YES" : "NO", ")");
  NoteEnd(EndReason::kLoginFailed, message);
  (co_await SendError(seq, 1045, "28000", message)).IgnoreError();
  co_return absl::PermissionDeniedError("access denied");
}

uint32_t ClientSession::OfferedCapabilities() const {
  uint32_t caps = ProxyServerCapabilities() | (runtime_->sql_tls ? mysql::kClientSsl : 0) |
                  (ctx_->backend_caps & mysql::kClientSessionTrack);
  if (OfferedExtCapabilities() != 0) caps &= ~mysql::kClientMysql;
  return caps;
}

uint32_t ClientSession::OfferedExtCapabilities() const {
  return kProxyExtCapabilities & ctx_->backend_ext_caps;
}

size_t ClientSession::PreLoginBudget() const {
  const uint64_t used = client_.traffic().bytes_read.load(std::memory_order_relaxed);
  return used >= kPreLoginLimit ? 0 : kPreLoginLimit - used;
}

asio::awaitable<absl::StatusOr<net::Packet>> ClientSession::ReadLoginPacket() {
  co_return co_await client_.ReadPacket(PreLoginBudget());
}

asio::awaitable<absl::StatusOr<std::string>> ClientSession::SwitchToNativePassword(uint8_t* seq,
                                                                                  size_t limit) {
  std::string out;
  mysql::AuthSwitchRequest sw{"mysql_native_password", scramble_ + std::string(1, '\0')};
  mysql::AppendPacket(&out, seq, mysql::EncodeAuthSwitchRequest(sw));
  if (absl::Status s = co_await client_.Write(out); !s.ok()) co_return s;
  auto answer = co_await client_.ReadPacket(limit);
  if (!answer.ok()) co_return answer.status();
  *seq = answer->seq + 1;
  co_return std::string(answer->payload);
}

asio::awaitable<absl::StatusOr<Account>> ClientSession::Authenticate(uint8_t seq,
                                                                      absl::string_view login_name,
                                                                      absl::string_view token) {
  LoginName name = SplitLoginName(login_name);
  std::string tenant_name = name.tenant.empty() ? config_->default_tenant : name.tenant;
  const config::User* user = config_->FindUser(tenant_name, name.user);
  const bool used_password = !token.empty();
  if (user == nullptr || (!name.cluster.empty() && name.cluster != config_->cluster)) {
    co_return co_await SendAccessDenied(seq, name.user, used_password);
  }
  auto stage1 = mysql::RecoverStage1(token, scramble_, user->stage2);
  if (!stage1.ok()) co_return co_await SendAccessDenied(seq, name.user, used_password);
  // SPEC §2: a require_tls user without TLS is refused as MariaDB refuses a
  // REQUIRE SSL account, with the same words as a wrong password.
  if (user->require_tls && !client_.tls()) {
    spdlog::info("cs_id {}: user '{}' requires TLS; refused a plaintext login", cs_id(),
                 name.user);
    co_return co_await SendAccessDenied(seq, name.user, used_password);
  }
  co_return Account{user, config_->FindTenant(tenant_name), *std::move(stage1)};
}

void ClientSession::Adopt(Account account) {
  user_ = account.user;
  tenant_ = account.tenant;
  stage1_ = std::move(account.stage1);
  servers_.resize(tenant_->backends.size());
}

asio::awaitable<absl::Status> ClientSession::CheckLoginDatabase(uint8_t seq) {
  if (state_.db.empty()) co_return absl::OkStatus();
  auto ss = co_await Acquire(0);
  if (ss.ok()) co_return absl::OkStatus();
  counters_.CountLoginFailure(metrics::LoginFailure::kDatabase);
  if (last_backend_error_) {
    // e.g. 1049 Unknown database: what the backend itself would have said.
    (co_await SendError(seq, last_backend_error_->code, last_backend_error_->sql_state,
                        last_backend_error_->message))
        .IgnoreError();
  } else {
    (co_await SendError(seq, 2003, "HY000", ss.status().message())).IgnoreError();
  }
  co_return ss.status();
}

asio::awaitable<absl::Status> ClientSession::Login(bool admins_only) {
  scramble_ = mysql::GenerateScramble();
  mysql::InitialHandshake greeting;
  greeting.server_version = ctx_->server_version;
  greeting.connection_id = cs_id();
  greeting.scramble = scramble_;
  greeting.capabilities = OfferedCapabilities();
  greeting.mariadb_ext_capabilities = OfferedExtCapabilities();
  greeting.charset = ctx_->server_charset;
  greeting.status_flags = mysql::kServerStatusAutocommit;
  greeting.auth_plugin_name = "mysql_native_password";
  std::string out;
  uint8_t seq = 0;
  mysql::AppendPacket(&out, &seq, mysql::EncodeInitialHandshake(greeting));
  if (absl::Status s = co_await client_.Write(out); !s.ok()) co_return s;

  auto pkt = co_await ReadLoginPacket();
  if (!pkt.ok()) co_return pkt.status();
  login_packet_seen_ = true;
  seq = pkt->seq + 1;
  if (mysql::IsSslRequest(pkt->payload)) {
    if (!runtime_->sql_tls) {
      counters_.CountLoginFailure(metrics::LoginFailure::kBadHandshake);
      (co_await SendError(seq, 1043, "08S01",
                          "Bad handshake: TLS is not configured on this proxyd ([sql_tls])"))
          .IgnoreError();
      co_return absl::UnavailableError("client wants TLS");
    }
    // The handshake runs inside the login timeout, like the rest of the login.
    if (absl::Status s = co_await client_.AcceptTls(*runtime_->sql_tls); !s.ok()) co_return s;
    pkt = co_await ReadLoginPacket();
    if (!pkt.ok()) co_return pkt.status();
    seq = pkt->seq + 1;
  }
  auto resp = mysql::DecodeHandshakeResponse(pkt->payload);
  if (!resp.ok()) {
    counters_.CountLoginFailure(metrics::LoginFailure::kBadHandshake);
    (co_await SendError(seq, 1043, "08S01", "Bad handshake")).IgnoreError();
    co_return resp.status();
  }
  login_name_ = resp->username.substr(0, EndedSession::kMaxName);
  caps_ = resp->capabilities & OfferedCapabilities();
  // Only a client that cleared kClientMysql sent extended capabilities.
  ext_caps_ = (resp->capabilities & mysql::kClientMysql)
                  ? 0
                  : resp->mariadb_ext_capabilities & OfferedExtCapabilities();
  charset_ = resp->charset;
  connect_attrs_ = resp->connect_attrs;
  remap_client_range_errors_ = HasAttr(connect_attrs_, "_client_name", "libmariadb");
  std::string token = resp->auth_response;
  if ((caps_ & mysql::kClientPluginAuth) && !resp->auth_plugin_name.empty() &&
      resp->auth_plugin_name != "mysql_native_password") {
    // The client started with another plugin (e.g. caching_sha2_password): ask it
    // to switch to ours, with the same scramble.
    auto answer = co_await SwitchToNativePassword(&seq, PreLoginBudget());
    if (!answer.ok()) co_return answer.status();
    token = *std::move(answer);
  }

  auto account = co_await Authenticate(seq, resp->username, token);
  if (!account.ok()) co_return account.status();
  if (admins_only && !account->user->admin) {
    counters_.CountRefused(metrics::Refusal::kAdminsOnly);
    (co_await SendError(seq, 1040, "08004", "Too many connections")).IgnoreError();
    co_return absl::ResourceExhaustedError("too many connections: only admins may log in");
  }
  reserved_slot_ = admins_only;
  Adopt(*std::move(account));
  state_.db = resp->database;
  Publish();
  // Honour the login database now, so a bad name fails the login as it would
  // on the backend itself.
  if (absl::Status s = co_await CheckLoginDatabase(seq); !s.ok()) co_return s;
  if (ctx_->draining.load(std::memory_order_relaxed)) {
    // SPEC §8: what MariaDB answers a login during its shutdown; a driver then
    // tries another node.
    NoteEnd(EndReason::kDrain, "login refused: the node is draining");
    (co_await SendError(seq, 1053, "08S01", "Server shutdown in progress")).IgnoreError();
    co_return absl::UnavailableError("login refused: the node is draining");
  }
  SetCommand("Sleep", "");
  spdlog::debug("cs_id {}: logged in as {}@{} from {}", cs_id(), user_->name, tenant_->name,
                handle_->facts().host_ip);
  co_return co_await SendOk(seq);
}

}  // namespace obp::session
