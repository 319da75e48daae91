// PacketConn: a stream socket (TCP, or Unix for listen_socket clients) with a read
// buffer, speaking MySQL packet framing.
//
// It serves both sides of the proxy: the client socket of a client session and the
// backend socket of a server session. It offers two ways to read:
//  - ReadPacket(): one whole packet, for the few places that must see a message
//    entire (login, a command's first packet, a prepare response);
//  - Peek()/Consume(): whatever bytes are available, for streaming a response
//    through without waiting for, or buffering, whole packets.
// The buffer grows only as far as one packet needs (<= 16 MiB + header) and shrinks
// back when idle, so a large row never stays resident.
// After AcceptTls/ConnectTls every read and write goes through TLS (OpenSSL on the
// socket's descriptor); until then, and on a plain connection, through the socket
// itself, with no TLS cost.
//
// Thread rule: owned by one session; every call on that session's io_context.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace asio::ssl {
class context;
}  // namespace asio::ssl

namespace obp::net {

// Bytes moved through a connection. Written only by the connection's own thread;
// read by any thread (SHOW PROXYSESSION, gRPC), hence relaxed atomics: a load and a
// store, never a locked read-modify-write, on the per-packet path.
struct TrafficCounters {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  void AddRead(uint64_t n) { Add(bytes_read, n); }
  void AddWritten(uint64_t n) { Add(bytes_written, n); }

 private:
  static void Add(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct Packet {
  uint8_t seq = 0;
  absl::string_view payload;  // valid until the next read or Consume on the conn
  absl::string_view raw;      // header + payload, same lifetime
};

class PacketConn {
 public:
  // Any stream socket: a TCP one converts to it.
  using Socket = asio::generic::stream_protocol::socket;
  explicit PacketConn(Socket socket);
  ~PacketConn();
  PacketConn(const PacketConn&) = delete;
  PacketConn& operator=(const PacketConn&) = delete;

  // Reads one packet (header + payload). The previous packet is consumed first.
  // A header announcing more than `max_payload` bytes fails at once
  // (ResourceExhausted), before any of its payload is buffered.
  asio::awaitable<absl::StatusOr<Packet>> ReadPacket(size_t max_payload = kMaxPayload);
  static constexpr size_t kMaxPayload = (1u << 24) - 1;
  // After ReadPacket refused a packet as too large: reads and drops it, and the
  // packets that continue it, through the existing buffer (no growth), so the peer
  // is not reset while still sending and reads the error that follows. Gives up
  // (FailedPrecondition) past `max_bytes`; the caller bounds the time. Returns the
  // sequence id of the last packet dropped: the reply's is the next.
  asio::awaitable<absl::StatusOr<uint8_t>> DiscardPacket(uint64_t max_bytes);
  // Returns the buffered, not yet consumed bytes; reads from the socket first when
  // none are buffered. Never returns an empty view with an OK status.
  asio::awaitable<absl::StatusOr<absl::string_view>> Peek();
  void Consume(size_t n);
  // True if bytes are buffered beyond the last packet/peek consumed.
  bool has_buffered() const { return end_ > begin_ + pending_consume_; }

  asio::awaitable<absl::Status> Write(absl::string_view bytes);

  // Turns the connection into TLS as its server side, after the client's
  // SSLRequest: the bytes it sent after that packet (its ClientHello, usually
  // already read) start the handshake. `ctx` must outlive the connection.
  // Unavailable with OpenSSL's reason when the handshake fails.
  asio::awaitable<absl::Status> AcceptTls(asio::ssl::context& ctx);
  // As the client side, toward a backend, after our SSLRequest. When `verify_host`
  // is not empty the server's certificate must name it (a DNS name or an IP).
  asio::awaitable<absl::Status> ConnectTls(asio::ssl::context& ctx,
                                           const std::string& verify_host);
  bool tls() const { return tls_ != nullptr; }

  // True if the peer closed the connection or sent bytes nobody asked for, checked
  // without blocking. Used before reusing an idle backend connection: MariaDB
  // closes a killed or timed-out idle connection without a word.
  bool PeerGoneOrChatty();

  // Once part of a packet has arrived, the rest must follow within `timeout`, or
  // the read fails (DeadlineExceeded): a client can't hold a half-sent packet's
  // buffer without end. Zero (the default): no limit. A packet that arrives in one
  // read, as almost all do, never arms a timer.
  void SetStallTimeout(absl::Duration timeout) { stall_timeout_ = timeout; }

  Socket& socket() { return socket_; }
  bool is_open() const { return socket_.is_open(); }
  // Closes the socket; pending reads and writes complete with an error.
  void Close();
  // Counts traffic into `counters` from now on (e.g. a session handle's, read by
  // other threads) instead of the connection's own. `counters` must outlive it.
  void CountInto(TrafficCounters* counters) { counters_ = counters; }
  const TrafficCounters& traffic() const { return *counters_; }

 private:
  asio::awaitable<absl::Status> Fill(size_t want);  // until end_-begin_ >= want
  // The TLS engine (see packet_conn.cc): OpenSSL on the descriptor, waiting on the
  // socket only when OpenSSL asks to.
  absl::Status NewTls(asio::ssl::context& ctx);
  asio::awaitable<std::error_code> TlsHandshake();
  asio::awaitable<std::error_code> TlsWait(int ssl_error);
  asio::awaitable<std::tuple<std::error_code, size_t>> TlsReadSome(char* into, size_t n);
  asio::awaitable<absl::Status> TlsWrite(absl::string_view bytes);
  void Compact();

  Socket socket_;
  struct TlsStream;                 // the OpenSSL connection, once TLS is on
  std::unique_ptr<TlsStream> tls_;  // replaced only by a new handshake
  // The read buffer, allocated without zero-filling: a new connection costs no
  // 16 KiB memset, and an idle one keeps resident only the pages its packets used.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  void Reallocate(size_t cap);  // moves the unread bytes to the front of a new buffer
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t pending_consume_ = 0;  // bytes of the last ReadPacket, consumed on next read
  absl::Duration stall_timeout_ = absl::ZeroDuration();
  TrafficCounters own_counters_;
  TrafficCounters* counters_ = &own_counters_;
};

// Status of a socket error, e.g. for "Backend 'x' unavailable: <reason>".
absl::Status SocketError(const std::error_code& ec, absl::string_view what);

}  // namespace obp::net
