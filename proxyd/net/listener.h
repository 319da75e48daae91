// Listener: accepts client connections on one io_context. Each data-plane thread
// has its own Listener on the same address (SO_REUSEPORT), so the kernel spreads
// connections across threads and no accept ever crosses threads.
//
// Thread rule: Start and Close run on the listener's io_context (Close may be
// posted there from any thread).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <functional>

#include "absl/status/status.h"

namespace obp::net {

class Listener {
 public:
  // Gets the accepted socket and its peer's address (taken from accept itself,
  // so no getpeername per connection).
  using OnAccept = std::function<void(asio::ip::tcp::socket, const asio::ip::tcp::endpoint&)>;
  Listener(asio::io_context& io, OnAccept on_accept);
  absl::Status Bind(const asio::ip::tcp::endpoint& ep);
  asio::awaitable<void> AcceptLoop();
  void Close();
  uint16_t port() const;

 private:
  asio::ip::tcp::acceptor acceptor_;
  OnAccept on_accept_;
};

}  // namespace obp::net
