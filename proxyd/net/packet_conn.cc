#include "proxyd/net/packet_conn.h"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/net/timeout.h"
#include "proxyd/net/tls_context.h"

namespace obp::net {
namespace {
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kInitialBuffer = 16 * 1024;
constexpr size_t kShrinkAbove = 256 * 1024;
constexpr size_t kMaxPacket = 4 + mysql::kMaxPacketPayload;
}  // namespace

absl::Status SocketError(const std::error_code& ec, absl::string_view what) {
  if (ec == asio::error::eof)
    return absl::UnavailableError(absl::StrCat(what, ": connection closed"));
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

// TLS straight on OpenSSL over the socket's descriptor, non-blocking: a write is one
// SSL_write (one send()), a read one SSL_read, and the coroutine waits for the socket
// only when OpenSSL says it must. (Asio's SSL stream moved every record through its
// own buffers and a completion per operation: a third more CPU per point select.)
// Every OpenSSL call is preceded by an is_open() check: after Close() the descriptor
// number may already belong to another connection.
struct PacketConn::TlsStream {
  explicit TlsStream(SSL* s) : ssl(s) {}
  ~TlsStream() { SSL_free(ssl); }
  SSL* ssl;
  bool early_rbio = false;  // reading the bytes that came with the SSLRequest first
};

PacketConn::PacketConn(Socket socket) : socket_(std::move(socket)) {
  Reallocate(kInitialBuffer);
}

PacketConn::~PacketConn() = default;

namespace {

// OpenSSL's reason for the last failure ("certificate verify failed", "wrong version
// number"), which is what an operator needs.
std::error_code TlsErrorCode(int ssl_error, int ret) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) return std::error_code(static_cast<int>(e), asio::error::get_ssl_category());
  if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && ret == 0)) {
    return asio::error::eof;
  }
  if (ssl_error == SSL_ERROR_SYSCALL && errno != 0) {
    return std::error_code(errno, std::system_category());
  }
  return asio::error::connection_aborted;
}

absl::Status TlsStatus(const std::error_code& ec, absl::string_view what) {
  if (ec.category() != asio::error::get_ssl_category()) return SocketError(ec, what);
  return absl::UnavailableError(absl::StrCat(what, ": ", TlsErrorReason(ec)));
}

}  // namespace

asio::awaitable<std::error_code> PacketConn::TlsWait(int ssl_error) {
  auto what = ssl_error == SSL_ERROR_WANT_WRITE ? Socket::wait_write : Socket::wait_read;
  auto [ec] = co_await socket_.async_wait(what, kNoThrow);
  if (!ec && !socket_.is_open()) ec = asio::error::bad_descriptor;
  co_return ec;
}

asio::awaitable<std::error_code> PacketConn::TlsHandshake() {
  SSL* ssl = tls_->ssl;
  for (;;) {
    if (!socket_.is_open()) co_return asio::error::bad_descriptor;
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    if (r == 1) co_return std::error_code();
    int err = SSL_get_error(ssl, r);
    if (err == SSL_ERROR_WANT_READ && tls_->early_rbio &&
        BIO_ctrl_pending(SSL_get_rbio(ssl)) == 0) {
      // The early bytes are used up: read from the socket from now on.
      SSL_set0_rbio(ssl, BIO_new_socket(socket_.native_handle(), BIO_NOCLOSE));
      tls_->early_rbio = false;
      continue;
    }
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) co_return TlsErrorCode(err, r);
    if (std::error_code ec = co_await TlsWait(err)) co_return ec;
  }
}

absl::Status PacketConn::NewTls(asio::ssl::context& ctx) {
  SSL* ssl = SSL_new(ctx.native_handle());
  if (ssl == nullptr) return absl::ResourceExhaustedError("TLS: SSL_new failed");
  tls_ = std::make_unique<TlsStream>(ssl);
  std::error_code ignored;
  socket_.non_blocking(true, ignored);  // OpenSSL calls the descriptor itself
  SSL_set_read_ahead(ssl, 1);           // whole records per recv(), not header then body
  if (SSL_set_fd(ssl, static_cast<int>(socket_.native_handle())) != 1) {
    return absl::ResourceExhaustedError("TLS: SSL_set_fd failed");
  }
  return absl::OkStatus();
}

asio::awaitable<absl::Status> PacketConn::AcceptTls(asio::ssl::context& ctx) {
  Consume(pending_consume_);
  pending_consume_ = 0;
  if (absl::Status s = NewTls(ctx); !s.ok()) co_return s;
  SSL* ssl = tls_->ssl;
  SSL_set_accept_state(ssl);
  if (end_ > begin_) {
    // What the client sent after its SSLRequest (its ClientHello, usually already
    // read) starts the handshake.
    BIO* early = BIO_new(BIO_s_mem());
    BIO_write(early, buf_.get() + begin_, static_cast<int>(end_ - begin_));
    BIO_set_mem_eof_return(early, -1);  // drained = "retry", not end of stream
    SSL_set0_rbio(ssl, early);
    tls_->early_rbio = true;
    begin_ = end_ = 0;
  }
  if (std::error_code ec = co_await TlsHandshake()) co_return TlsStatus(ec, "TLS handshake");
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> PacketConn::ConnectTls(asio::ssl::context& ctx,
                                                     const std::string& verify_host) {
  Consume(pending_consume_);
  pending_consume_ = 0;
  if (absl::Status s = NewTls(ctx); !s.ok()) co_return s;
  SSL* ssl = tls_->ssl;
  SSL_set_connect_state(ssl);
  if (!verify_host.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    std::error_code ec;
    asio::ip::make_address(verify_host, ec);
    bool set = ec ? X509_VERIFY_PARAM_set1_host(param, verify_host.c_str(), 0) == 1
                  : X509_VERIFY_PARAM_set1_ip_asc(param, verify_host.c_str()) == 1;
    if (!set) co_return absl::InvalidArgumentError("TLS: bad host name to verify");
    if (ec) SSL_set_tlsext_host_name(ssl, verify_host.c_str());  // SNI takes names only
  }
  if (std::error_code ec = co_await TlsHandshake()) co_return TlsStatus(ec, "TLS handshake");
  co_return absl::OkStatus();
}

asio::awaitable<std::tuple<std::error_code, size_t>> PacketConn::TlsReadSome(char* into,
                                                                             size_t n) {
  SSL* ssl = tls_->ssl;
  const int want = static_cast<int>(std::min<size_t>(n, 1 << 30));
  for (;;) {
    if (!socket_.is_open()) co_return std::make_tuple(asio::error::bad_descriptor, size_t{0});
    ERR_clear_error();
    int r = SSL_read(ssl, into, want);
    if (r > 0) co_return std::make_tuple(std::error_code(), static_cast<size_t>(r));
    int err = SSL_get_error(ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      co_return std::make_tuple(TlsErrorCode(err, r), size_t{0});
    }
    if (std::error_code ec = co_await TlsWait(err)) co_return std::make_tuple(ec, size_t{0});
  }
}

asio::awaitable<absl::Status> PacketConn::TlsWrite(absl::string_view bytes) {
  SSL* ssl = tls_->ssl;
  while (!bytes.empty()) {
    if (!socket_.is_open()) co_return SocketError(asio::error::bad_descriptor, "write");
    ERR_clear_error();
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE a call writes all it was given or
    // nothing, and is retried with the same bytes after a wait.
    const int chunk = static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30));
    int r = SSL_write(ssl, bytes.data(), chunk);
    if (r > 0) {
      counters_->AddWritten(static_cast<uint64_t>(r));
      bytes.remove_prefix(static_cast<size_t>(r));
      continue;
    }
    int err = SSL_get_error(ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      co_return TlsStatus(TlsErrorCode(err, r), "write");
    }
    if (std::error_code ec = co_await TlsWait(err)) co_return SocketError(ec, "write");
  }
  co_return absl::OkStatus();
}

void PacketConn::Reallocate(size_t cap) {
  std::unique_ptr<char[]> fresh(new char[cap]);  // not value-initialised on purpose
  size_t unread = end_ - begin_;
  if (unread > 0) std::memcpy(fresh.get(), buf_.get() + begin_, unread);
  buf_ = std::move(fresh);
  cap_ = cap;
  begin_ = 0;
  end_ = unread;
}

void PacketConn::Consume(size_t n) {
  begin_ += n;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (cap_ > kShrinkAbove) Reallocate(kInitialBuffer);
  }
}

void PacketConn::Compact() {
  if (begin_ == 0) return;
  std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

asio::awaitable<absl::Status> PacketConn::Fill(size_t want) {
  if (end_ - begin_ >= want) co_return absl::OkStatus();
  if (cap_ - begin_ < want) {
    if (cap_ < want) {
      Reallocate(std::max(want, cap_ * 2));
    } else {
      Compact();
    }
  }
  while (end_ - begin_ < want) {
    char* into = buf_.get() + end_;
    auto read = tls_ ? TlsReadSome(into, cap_ - end_)
                     : socket_.async_read_some(asio::buffer(into, cap_ - end_), kNoThrow);
    std::error_code ec;
    size_t n = 0;
    if (end_ > begin_ && stall_timeout_ > absl::ZeroDuration()) {
      auto r = co_await RunWithin(std::move(read), stall_timeout_);
      if (!r) {
        co_return absl::DeadlineExceededError(
            absl::StrCat("read: packet incomplete after ", absl::FormatDuration(stall_timeout_)));
      }
      std::tie(ec, n) = *r;
    } else {
      std::tie(ec, n) = co_await std::move(read);
    }
    if (ec) co_return SocketError(ec, "read");
    end_ += n;
    counters_->AddRead(n);
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<Packet>> PacketConn::ReadPacket(size_t max_payload) {
  Consume(pending_consume_);
  pending_consume_ = 0;
  if (absl::Status s = co_await Fill(4); !s.ok()) co_return s;
  mysql::PacketHeader h =
      mysql::DecodeHeader(reinterpret_cast<const uint8_t*>(buf_.get() + begin_));
  if (h.length > max_payload) {
    co_return absl::ResourceExhaustedError(absl::StrCat(
        "packet of ", h.length, " bytes announced; at most ", max_payload, " allowed here"));
  }
  size_t total = 4 + size_t{h.length};
  if (total > kMaxPacket) co_return absl::InternalError("packet too large");
  if (absl::Status s = co_await Fill(total); !s.ok()) co_return s;
  pending_consume_ = total;
  co_return Packet{h.seq, absl::string_view(buf_.get() + begin_ + 4, h.length),
                   absl::string_view(buf_.get() + begin_, total)};
}

asio::awaitable<absl::StatusOr<uint8_t>> PacketConn::DiscardPacket(uint64_t max_bytes) {
  Consume(pending_consume_);
  pending_consume_ = 0;
  uint64_t dropped = 0;
  for (;;) {
    if (absl::Status s = co_await Fill(4); !s.ok()) co_return s;
    mysql::PacketHeader h =
        mysql::DecodeHeader(reinterpret_cast<const uint8_t*>(buf_.get() + begin_));
    Consume(4);
    uint64_t left = h.length;
    if (dropped + left > max_bytes) {
      co_return absl::FailedPreconditionError(
          absl::StrCat("more than ", max_bytes, " bytes to discard"));
    }
    while (left > 0) {
      if (absl::Status s = co_await Fill(1); !s.ok()) co_return s;
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, end_ - begin_));
      Consume(n);
      left -= n;
    }
    dropped += h.length;
    if (h.length < kMaxPayload) co_return h.seq;  // the last of the chain
  }
}

asio::awaitable<absl::StatusOr<absl::string_view>> PacketConn::Peek() {
  Consume(pending_consume_);
  pending_consume_ = 0;
  if (absl::Status s = co_await Fill(1); !s.ok()) co_return s;
  co_return absl::string_view(buf_.get() + begin_, end_ - begin_);
}

asio::awaitable<absl::Status> PacketConn::Write(absl::string_view bytes) {
  // Almost every write fits in the socket buffer. Sending it here, without
  // Asio, saves the completion post, a pass through the scheduler (and the
  // epoll poll that comes with it) and a coroutine suspension per write; only
  // what the kernel does not take right away goes through async_write.
  if (tls_) co_return co_await TlsWrite(bytes);
  if (socket_.is_open()) {
    ssize_t n =
        ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      counters_->AddWritten(static_cast<uint64_t>(n));
      bytes.remove_prefix(static_cast<size_t>(n));
      if (bytes.empty()) co_return absl::OkStatus();
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      co_return SocketError(std::error_code(errno, std::system_category()), "write");
    }
  }
  auto [ec, n] =
      co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kNoThrow);
  if (ec) co_return SocketError(ec, "write");
  counters_->AddWritten(n);
  co_return absl::OkStatus();
}

bool PacketConn::PeerGoneOrChatty() {
  if (!socket_.is_open()) return true;
  if (end_ > begin_ + pending_consume_) return true;
  if (tls_ && SSL_has_pending(tls_->ssl)) return true;
  char byte;
  ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return true;
  if (n == 0) return true;
  return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

void PacketConn::Close() {
  // close() alone sends the FIN (or a reset if unread bytes are left) and
  // cancels pending operations; a shutdown() first would be one more system
  // call per connection for nothing.
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace obp::net
