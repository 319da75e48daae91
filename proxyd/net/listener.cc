#include "proxyd/net/listener.h"

#include <sys/socket.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace obp::net {

Listener::Listener(asio::io_context& io, OnAccept on_accept)
    : acceptor_(io), on_accept_(std::move(on_accept)) {}

absl::Status Listener::Bind(const asio::ip::tcp::endpoint& ep) {
  std::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  // Linux copies TCP_NODELAY from the listening socket to every accepted one:
  // set once here instead of one setsockopt per connection.
  if (!ec) acceptor_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      ec = std::error_code(errno, std::system_category());
    }
  }
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("listen on ", ep.address().to_string(), ":", ep.port(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

asio::awaitable<void> Listener::AcceptLoop() {
  constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
  asio::ip::tcp::endpoint peer;
  for (;;) {
    auto [ec, sock] = co_await acceptor_.async_accept(peer, kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // E.g. EMFILE: keep serving the sessions we have. The pending connection
      // keeps the listener readable, so retrying at once would spin a core.
      spdlog::warn("accept: {}; pausing accepts for 100 ms", ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    on_accept_(std::move(sock), peer);
  }
}

void Listener::Close() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

uint16_t Listener::port() const {
  std::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace obp::net
