// COM_CHANGE_USER (SPEC §2 "TLS, sockets, change user"): the session is handed to
// another user, possibly of another tenant, without a new connection.
//
// As MariaDB does, the new user is authenticated against the scramble of the
// connection's greeting, with an auth switch when the client names another plugin;
// the session then takes the packet's database and character set and starts clean.
// Where MariaDB keeps a connection whose change of user failed (as the old user,
// after a one-second pause), proxyd closes it, as the SPEC asks: a failed change,
// a malformed packet or a refused database ends the session after its error.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/handshake.h"
#include "proxyd/net/timeout.h"
#include "proxyd/session/client_session.h"

namespace obp::session {

void ClientSession::DropUserState() {
  // The server sessions are logged in as the old user, so none can serve the new
  // one, nor go back to the pool under its key. Closing one ends its transaction
  // (rolled back), temporary tables, locks and prepared statements on the backend.
  for (size_t i = 0; i < servers_.size(); ++i) DropServerSession(static_cast<int>(i));
  servers_.clear();
  stmts_.clear();
  state_ = StateSnapshot{};
  pinned_ = current_ = -1;
  pending_error_.reset();
  last_backend_error_.reset();
}

asio::awaitable<absl::Status> ClientSession::HandleChangeUser(const net::Packet& first) {
  SetCommand("Change user", "");
  auto packet = mysql::DecodeChangeUser(first.payload.substr(1), caps_);
  if (!packet.ok()) {
    // What MariaDB answers to a malformed COM_CHANGE_USER.
    (co_await SendError(1, 1047, "08S01", "Unknown command")).IgnoreError();
    co_return packet.status();
  }
  uint8_t seq = 1;
  std::string token = packet->auth_response;
  if ((caps_ & mysql::kClientPluginAuth) && !packet->auth_plugin_name.empty() &&
      packet->auth_plugin_name != mysql::kNativePasswordPlugin) {
    // A client whose default plugin is another one (MySQL's libmysqlclient) is
    // asked to switch, on the same scramble, within the login time limit.
    auto answer = co_await net::RunWithin(SwitchToNativePassword(&seq, kPreLoginLimit),
                                          absl::Seconds(config_->login_timeout_s));
    if (!answer) co_return absl::DeadlineExceededError("no answer to the auth switch");
    if (!answer->ok()) co_return answer->status();
    token = **std::move(answer);
  }
  auto account = co_await Authenticate(seq, packet->username, token);
  if (!account.ok()) co_return account.status();
  if (reserved_slot_ && !account->user->admin) {
    // The session holds a slot kept for admins; another user would not have
    // been let in on it.
    (co_await SendError(seq, 1040, "08004", "Too many connections")).IgnoreError();
    co_return absl::ResourceExhaustedError("change of user in an admin-reserved slot");
  }
  spdlog::debug("cs_id {}: changes user from {}@{} to {}@{}", cs_id(), user_->name,
                tenant_->name, account->user->name, account->tenant->name);
  DropUserState();
  Adopt(*std::move(account));
  // The handshake's charset is one byte: an id past 255 keeps the current one,
  // as MariaDB falls back to a default for a charset it does not know.
  if (packet->charset && *packet->charset <= 0xFF) charset_ = *packet->charset;
  if (caps_ & mysql::kClientConnectAttrs) connect_attrs_ = packet->connect_attrs;
  state_.db = packet->database;
  Publish();
  if (absl::Status s = co_await CheckLoginDatabase(seq); !s.ok()) co_return s;
  co_return co_await SendOk(seq);
}

}  // namespace obp::session
