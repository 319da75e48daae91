#include "proxyd/session/control_connection.h"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"

namespace obp::session {
namespace {

asio::awaitable<absl::Status> Exchange(std::shared_ptr<ServerSession> control, LoginParams login,
                                       std::string cmd, absl::Duration timeout) {
  absl::Status s = co_await control->Connect(login, timeout);
  if (!s.ok()) co_return s;
  auto r = co_await control->Run(cmd, mysql::ResponseKind::kGeneric);
  if (!r.ok()) co_return r.status();
  // 1094: the thread already ended by itself, which is what we wanted.
  if (r->is_error && r->error.code != 1094) {
    co_return absl::InternalError(absl::StrCat("the backend answered ", r->error.code, " (",
                                               r->error.sql_state, ") ", r->error.message));
  }
  co_return absl::OkStatus();
}

}  // namespace

asio::awaitable<absl::Status> KillOnBackend(const config::Backend& backend, LoginParams login,
                                            uint32_t connection_id, bool query_only,
                                            absl::Duration timeout) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto control = std::make_shared<ServerSession>(0, backend, ex);
  std::string cmd(1, static_cast<char>(mysql::Command::kQuery));
  absl::StrAppend(&cmd, query_only ? "KILL QUERY " : "KILL CONNECTION ", connection_id);
  asio::steady_timer timer(ex, absl::ToChronoNanoseconds(timeout));
  auto result = co_await (Exchange(control, std::move(login), std::move(cmd), timeout) ||
                          timer.async_wait(asio::use_awaitable));
  control->conn().Close();
  if (result.index() == 1) {
    co_return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  }
  co_return std::get<0>(result);
}

}  // namespace obp::session
