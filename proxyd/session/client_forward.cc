// Forwarding one command to a server session and streaming its response back.
//
// The response is never assembled: each chunk the backend sends is scanned for
// packet boundaries (to find where the response ends and its final status) and
// written to the client as it is, so memory stays bounded by the read buffer
// whatever the result size, and a small result costs one read and one write.
#include <poll.h>
#include <spdlog/spdlog.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/session/client_session.h"

namespace obp::session {
namespace {
using mysql::ResponseKind;

// Which side failed while streaming, which decides what the session can do next.
enum class Failure { kNone, kBackendBeforeReply, kBackendMidReply, kClient };
}  // namespace

asio::awaitable<absl::Status> ClientSession::Forward(ServerSession* ss, absl::string_view raw,
                                                     const net::Packet* first,
                                                     ResponseKind kind, bool stateless) {
  busy_ = true;
  ss->state = ServerState::kActive;
  if (!stateless) ss->needs_reset = true;
  PublishServerState(ss);
  absl::Status s = co_await ss->conn().Write(raw);
  bool multi = first && first->payload.size() == mysql::kMaxPacketPayload;
  // A command larger than one packet: the rest follows from the client as is, up
  // to max_allowed_packet in all.
  size_t total = multi ? first->payload.size() : 0;
  const size_t limit = static_cast<size_t>(config_->max_allowed_packet);
  while (s.ok() && multi) {
    auto next = co_await client_.ReadPacket(total >= limit ? 0 : limit - total);
    if (!next.ok()) {
      busy_ = false;
      // The backend holds half a command: this server session can't be reused.
      for (size_t i = 0; i < servers_.size(); ++i) {
        if (servers_[i].get() == ss) DropServerSession(static_cast<int>(i));
      }
      if (absl::IsResourceExhausted(next.status())) co_return co_await PacketTooLarge();
      co_return absl::CancelledError(next.status().message());
    }
    total += next->payload.size();
    multi = next->payload.size() == mysql::kMaxPacketPayload;
    s = co_await ss->conn().Write(next->raw);
  }
  if (s.ok()) {
    InFlight in_flight(this);
    s = co_await StreamResponse(ss, kind);
  }
  busy_ = false;
  ss->state = ServerState::kIdle;
  if (ss->killed) {
    // KILL PROXYSESSION id ss_id (or a whole-session kill) landed mid-statement.
    int index = -1;
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i].get() == ss) index = static_cast<int>(i);
    }
    bool replied = s.ok();
    if (index >= 0) DropServerSession(index);
    if (closing_) co_return absl::CancelledError("session killed");
    if (!replied && s.code() != absl::StatusCode::kCancelled) {
      co_return co_await SendError(1, 1317, "70100", "Query execution was interrupted");
    }
    co_return s;
  }
  if (s.code() == absl::StatusCode::kUnavailable) {
    // The backend went away before answering: the client hears why, the session
    // stays usable, and the next statement opens a fresh server session.
    std::string name = ss->backend().name;
    const bool lost_transaction = ss->in_transaction;
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i].get() == ss) DropServerSession(static_cast<int>(i));
    }
    std::string what = absl::StrCat("Lost connection to backend '", name, "' during query: ",
                                    s.message(),
                                    lost_transaction ? "; its open transaction was rolled back" : "");
    NoteBackendLost(what);
    co_return co_await SendError(1, 2013, "HY000", what);
  }
  co_return s;
}

// MariaDB notices a client that hangs up while its statement waits (a lock, a
// sleep) and ends the statement; through proxyd the backend sees only proxyd, so
// proxyd does it. Only a statement still running after a tick of the thread's
// StatementTicker gets the watch, so a point select pays nothing for it (a wait
// costs Asio an epoll_ctl to start and a completion to cancel). The wait completes
// for a socket already readable, so a hang-up before it started counts too. Bytes
// from the client (a TLS close_notify, LOAD DATA LOCAL's file, a command sent early)
// are not a hang-up: only POLLRDHUP counts. They end the wait (a wait started again
// would complete at once for bytes nobody reads); from then on each tick polls.
ClientSession::InFlight::InFlight(ClientSession* s) : session(s) {
  session->ctx_->tickers[session->thread_index_]->Enter(session);
}

ClientSession::InFlight::~InFlight() {
  session->ctx_->tickers[session->thread_index_]->Leave(session);
  if (session->hangup_watch_state_ == HangupWatch::kWaiting) {
    session->hangup_watch_.emit(asio::cancellation_type::total);
  }
  session->hangup_watch_state_ = HangupWatch::kOff;
}

void ClientSession::OnLongStatement() {
  if (!busy_ || closing_) return;
  switch (hangup_watch_state_) {
    case HangupWatch::kOff:
      WatchForHangup();
      break;
    case HangupWatch::kWaiting:
      break;
    case HangupWatch::kPolling:
      if (ClientHungUp()) EndForHangup();
      break;
  }
}

bool ClientSession::ClientHungUp() {
  net::PacketConn::Socket& sock = client_.socket();
  if (!sock.is_open()) return false;
  pollfd p{static_cast<int>(sock.native_handle()), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void ClientSession::EndForHangup() {
  SessionEnd end;
  end.reason = EndReason::kClientGone;
  // What is known here: the kill closes the server session and sends the backend a
  // KILL; whether the backend confirms it goes to the log, not here.
  end.detail = "the client hung up while its statement ran; its server session was "
               "closed and a backend KILL sent";
  // The lambda (kept by co_spawn for the coroutine's run) holds the session until
  // Terminate has taken its own reference.
  asio::co_spawn(
      executor_,
      [self = shared_from_this(), end = std::move(end)]() mutable -> asio::awaitable<void> {
        (co_await self->Terminate(std::move(end))).IgnoreError();
      },
      asio::detached);
}

void ClientSession::WatchForHangup() {
  net::PacketConn::Socket& socket = client_.socket();
  if (!socket.is_open()) return;
  hangup_watch_state_ = HangupWatch::kWaiting;
  // A completion already queued when its statement ended must not touch the next
  // statement's watch.
  const uint64_t watch = ++hangup_watches_;
  socket.async_wait(
      net::PacketConn::Socket::wait_read,
      asio::bind_cancellation_slot(hangup_watch_.slot(), [self = shared_from_this(), watch](
                                                              std::error_code ec) {
        if (ec || watch != self->hangup_watches_ ||
            self->hangup_watch_state_ != HangupWatch::kWaiting || self->closing_) {
          return;
        }
        if (self->ClientHungUp()) {
          self->EndForHangup();
        } else {
          self->hangup_watch_state_ = HangupWatch::kPolling;
        }
      }));
}

asio::awaitable<absl::Status> ClientSession::StreamResponse(ServerSession* ss, ResponseKind kind,
                                                            bool reset) {
  mysql::ResponseScanner& scanner = ss->scanner();
  if (reset) scanner.Reset(kind);
  if (shape_.active()) co_return co_await StreamShapedResponse(ss);
  uint64_t forwarded = 0;
  while (!scanner.done()) {
    auto bytes = co_await ss->conn().Peek();
    if (!bytes.ok()) {
      if (forwarded == 0 && !closing_) {
        // Nothing reached the client yet: it gets a clean error, not a cut stream.
        co_return absl::UnavailableError(bytes.status().message());
      }
      client_.Close();
      NoteEnd(EndReason::kBackendLost,
              absl::StrCat("backend '", ss->backend().name, "' closed the connection mid-response: ",
                           bytes.status().message()));
      co_return absl::CancelledError("backend closed mid-response");
    }
    auto used = scanner.Feed(*bytes);
    if (!used.ok()) {
      spdlog::warn("cs_id {}: bad response from backend {}: {}", cs_id(), ss->backend().name,
                   std::string(used.status().message()));
      ss->conn().Close();
      client_.Close();
      NoteEnd(EndReason::kError, absl::StrCat("malformed response from backend '", ss->backend().name, "'"));
      co_return absl::CancelledError("malformed backend response");
    }
    if (scanner.done()) FinishStatement(ss);
    absl::Status w = co_await client_.Write(bytes->substr(0, *used));
    ss->conn().Consume(*used);
    forwarded += *used;
    if (!w.ok()) {
      // The client is gone; the backend may still be sending, so this server
      // session can't be reused.
      ss->conn().Close();
      co_return absl::CancelledError(w.message());
    }
    if (scanner.wants_local_infile()) {
      if (absl::Status s = co_await ForwardLocalInfile(ss, 0); !s.ok()) co_return s;
      scanner.ResumeAfterLocalInfile();
    }
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> ClientSession::ForwardLocalInfile(ServerSession* ss,
                                                                uint8_t seq_shift) {
  // LOAD DATA LOCAL: the client sends the file, ending with an empty packet.
  std::string shifted;
  for (;;) {
    auto pkt = co_await client_.ReadPacket();
    if (!pkt.ok()) {
      ss->conn().Close();
      co_return absl::CancelledError(pkt.status().message());
    }
    absl::string_view out = pkt->raw;
    if (seq_shift != 0) {
      shifted.assign(pkt->raw.data(), pkt->raw.size());
      shifted[3] = static_cast<char>(static_cast<uint8_t>(shifted[3]) - seq_shift);
      out = shifted;
    }
    if (absl::Status s = co_await ss->conn().Write(out); !s.ok()) {
      client_.Close();
      co_return absl::CancelledError(s.message());
    }
    if (pkt->payload.empty()) co_return absl::OkStatus();
  }
}

void ClientSession::FinishStatement(ServerSession* ss) {
  busy_ = false;
  ss->state = ServerState::kIdle;
  ss->MarkIdle();
  if (!ss->killed) {
    AfterResponse(ss);
    if (!ss->scanner().is_error()) ApplyEffect(ss);
    // Errs towards "held": an error may end a multi-statement query after the
    // part that created a temporary table, so what it adds counts regardless;
    // what it lets go counts only if it all succeeded.
    ss->held |= held_change_.adds;
    if (!ss->scanner().is_error()) ss->held &= static_cast<uint8_t>(~held_change_.clears);
    // Even after an error: the value is read back, whatever it turned out to be.
    for (const std::string& name : held_change_.assigned_vars) NoteAssigned(ss, name);
    for (const auto& [name, prepared] : held_change_.prepares) {
      if (prepared) {
        ss->sql_prepared.insert(name);
      } else if (!ss->scanner().is_error()) {
        ss->sql_prepared.erase(name);
      }
    }
  }
  // An error or warnings stay readable (SHOW WARNINGS) until the next statement.
  if (ss->scanner().is_error() || ss->scanner().warnings() > 0) ss->needs_reset = true;
  effect_ = {};
  held_change_ = {};
  finished_ = true;
  SetCommand("Sleep", "");
  Publish();
}

void ClientSession::AfterResponse(ServerSession* ss) {
  const mysql::ResponseScanner& scanner = ss->scanner();
  if (scanner.is_error() || !scanner.has_status()) return;  // e.g. ERR, PREPARE, STATISTICS
  uint16_t flags = scanner.final_status_flags();
  bool in_trans = flags & mysql::kServerStatusInTrans;
  if (ss->in_transaction && !in_trans) {
    ++ss->transact_count;
    ++total_trans_;
  }
  ss->in_transaction = in_trans;
  bool autocommit = flags & mysql::kServerStatusAutocommit;
  state_.autocommit = ss->applied.autocommit = autocommit;
  int index = current_;
  pinned_ = in_trans ? index : -1;
}

}  // namespace obp::session
