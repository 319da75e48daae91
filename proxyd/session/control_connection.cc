#include "proxyd/session/control_connection.h"

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"

namespace obp::session {

asio::awaitable<absl::Status> KillOnBackend(const config::Backend& backend, LoginParams login,
                                            uint32_t connection_id, bool query_only,
                                            int timeout_ms) {
  ServerSession control(0, backend, co_await asio::this_coro::executor);
  absl::Status s = co_await control.Connect(login, absl::Milliseconds(timeout_ms));
  if (!s.ok()) co_return s;
  std::string cmd(1, static_cast<char>(mysql::Command::kQuery));
  absl::StrAppend(&cmd, query_only ? "KILL QUERY " : "KILL CONNECTION ", connection_id);
  auto r = co_await control.Run(cmd, mysql::ResponseKind::kGeneric);
  control.conn().Close();
  if (!r.ok()) co_return r.status();
  // 1094: the thread already ended by itself, which is what we wanted.
  if (r->is_error && r->error.code != 1094) {
    co_return absl::InternalError(absl::StrCat("KILL on backend: ", r->error.message));
  }
  co_return absl::OkStatus();
}

}  // namespace obp::session
