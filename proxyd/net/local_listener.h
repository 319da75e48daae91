// LocalListener: accepts clients on a Unix socket (`listen_socket`, SPEC §2), e.g. a
// sidecar on the same host, and hands each to the io threads in turn. A Unix socket
// has no SO_REUSEPORT spreading, so one listener on io thread 0 serves the node and
// moves each accepted descriptor to its thread's io_context.
//
// Thread rule: Bind on the main thread before the pool runs; AcceptLoop and Close on
// io thread 0 (Close may be posted there from any thread).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/local/stream_protocol.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/net/packet_conn.h"

namespace obp::net {

class LocalListener {
 public:
  // Gets the accepted socket, already on io thread `thread_index`'s context.
  using OnAccept = std::function<void(PacketConn::Socket socket, int thread_index)>;
  LocalListener(IoPool& pool, OnAccept on_accept);
  ~LocalListener();  // removes the socket file if Close did not run
  // Creates the socket file with mode 0666 (a login is still needed). A stale file
  // left by a crashed node is replaced; one another process still listens on, or a
  // path that is not a socket, is refused (FailedPrecondition naming it).
  absl::Status Bind(const std::string& path);
  asio::awaitable<void> AcceptLoop();
  // Stops accepting and removes the socket file.
  void Close();

 private:
  IoPool& pool_;
  asio::local::stream_protocol::acceptor acceptor_;
  OnAccept on_accept_;
  std::string path_;
  int next_thread_ = 0;
};

}  // namespace obp::net
