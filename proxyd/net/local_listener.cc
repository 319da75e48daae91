#include "proxyd/net/local_listener.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace obp::net {
namespace {

// An existing file at `path`: removed if it is a socket nobody listens on.
absl::Status ClearStaleSocket(asio::io_context& io, const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // nothing there
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("listen_socket ", path, ": exists and is not a socket"));
  }
  asio::local::stream_protocol::socket probe(io);
  std::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("listen_socket ", path, ": another process is listening on it"));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "listen_socket ", path, ": cannot remove the stale socket: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

LocalListener::LocalListener(IoPool& pool, OnAccept on_accept)
    : pool_(pool), acceptor_(pool.context(0)), on_accept_(std::move(on_accept)) {}

LocalListener::~LocalListener() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

absl::Status LocalListener::Bind(const std::string& path) {
  // Asio's endpoint throws for a path longer than sun_path; the config refuses one.
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("listen_socket ", path, ": path too long"));
  }
  if (absl::Status s = ClearStaleSocket(pool_.context(0), path); !s.ok()) return s;
  std::error_code ec;
  asio::local::stream_protocol::endpoint ep(path);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec && ::chmod(path.c_str(), 0666) != 0) ec = std::error_code(errno, std::system_category());
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close(ec);
    return absl::UnavailableError(absl::StrCat("listen_socket ", path, ": ", ec.message()));
  }
  path_ = path;
  return absl::OkStatus();
}

asio::awaitable<void> LocalListener::AcceptLoop() {
  constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
  for (;;) {
    auto [ec, sock] = co_await acceptor_.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // As the TCP listener: keep serving, and don't spin on a pending connection.
      spdlog::warn("accept on {}: {}; pausing accepts for 100 ms", path_, ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    const int thread = next_thread_;
    next_thread_ = (next_thread_ + 1) % pool_.size();
    std::error_code rec;
    const int fd = sock.release(rec);
    if (rec) continue;  // not handed over: `sock` closes it
    PacketConn::Socket moved(pool_.context(thread),
                             asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd);
    on_accept_(std::move(moved), thread);
  }
}

void LocalListener::Close() {
  std::error_code ignored;
  acceptor_.close(ignored);
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

}  // namespace obp::net
