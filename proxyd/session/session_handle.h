// SessionHandle: the public face of one client session, the only thing about a
// session that other layers (the registry, kills, admin SQL, gRPC) hold.
//
// It carries what was fixed when the connection was accepted (set before the
// handle is published in the registry), relaxed atomic traffic counters, the
// snapshot the session publishes at command boundaries, the session's executor,
// and the kill verbs, which run on that executor while the session lives. A
// handle may outlive its session: the verbs then do nothing, and Info() keeps
// answering with the last snapshot.
//
// Thread rule: every const method and every verb is safe from any thread. Update()
// is for the owning session's executor only; AssignCsId() for the registry only,
// before the handle is published.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/core/mutex.h"
#include "proxyd/net/packet_conn.h"
#include "proxyd/session/history.h"
#include "proxyd/session/session_info.h"

namespace obp::session {

// Facts fixed when the connection was accepted.
struct SessionFacts {
  uint64_t proxy_sessid = 0;
  std::string host_ip;
  uint16_t host_port = 0;
  absl::Time created;
  int tid = 0;  // Linux thread id of the io thread that runs the session
};

// What a kill may do to a session. Implemented by the session itself; called only
// on the session's executor, through SessionHandle's verbs.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  // Ends the session: client socket and every server session closed, busy or
  // in-transaction ones first ended on their backend. `why` is logged and goes to
  // the session history (SPEC §9). The session is gone either way; Unavailable
  // says which backend KILLs were not confirmed in time (SPEC §3 "Kills against a
  // hung backend").
  virtual asio::awaitable<absl::Status> Terminate(SessionEnd why) = 0;
  // Ends one server session; the client session survives. NotFound if it has none;
  // Unavailable as for Terminate.
  virtual asio::awaitable<absl::Status> TerminateServerSession(uint32_t ss_id) = 0;
  // Interrupts the statement in flight, if any; Unavailable if the backend's KILL
  // QUERY was not confirmed (the statement may still be running).
  virtual asio::awaitable<absl::Status> InterruptQuery() = 0;
  // SPEC §8 drain: closes the session if it is waiting for its client's next
  // command outside a transaction; otherwise does nothing (the session closes
  // itself when it next gets there, having seen ProxyContext::draining).
  virtual void CloseIfIdle() = 0;
};

class SessionHandle {
 public:
  SessionHandle(SessionFacts facts, asio::any_io_executor executor,
                std::weak_ptr<SessionControl> control);
  SessionHandle(const SessionHandle&) = delete;
  SessionHandle& operator=(const SessionHandle&) = delete;

  // Set once by the registry before the handle is published; 0 before.
  uint32_t cs_id() const { return cs_id_; }
  const SessionFacts& facts() const { return facts_; }
  const asio::any_io_executor& executor() const { return executor_; }

  // A copy of the published snapshot with the facts and current counters.
  SessionInfo Info() const;

  // A condition a kill verb checks on the session's executor right before it acts
  // (SPEC §9 selectors: a statement that finished meanwhile is not killed). It
  // sees the snapshot as the session last published it, which on that executor
  // is the session's present. Empty = no condition.
  using Guard = std::function<bool(const SessionInfo&)>;

  // Kill verbs: each runs on the session's executor and resumes the caller on its
  // own. A session that already ended is left alone (OK). When `only_if` is set
  // and does not hold, nothing is done and the answer is NoLongerMatches().
  asio::awaitable<absl::Status> Terminate(SessionEnd why, Guard only_if = {}) const;
  asio::awaitable<absl::Status> TerminateServerSession(uint32_t ss_id, Guard only_if = {}) const;
  asio::awaitable<absl::Status> InterruptQuery(Guard only_if = {}) const;
  // Posts SessionControl::CloseIfIdle to the session's executor; returns at once.
  void CloseIfIdle() const;

  // --- The owning session only, on its executor. ---
  net::TrafficCounters* client_traffic() { return &traffic_; }
  // Runs `f(SessionInfo&)` on the published snapshot under the handle's lock.
  // `f` must be short and must not block.
  template <class F>
  void Update(F&& f) {
    MutexLock lock(&mu_);
    f(info_);
  }

  // --- The registry only, before publishing the handle. ---
  void AssignCsId(uint32_t cs_id);

 private:
  // On the executor: `verb()` if `only_if` holds (or is empty).
  asio::awaitable<absl::Status> Checked(Guard only_if,
                                        std::function<asio::awaitable<absl::Status>()> verb) const;

  const SessionFacts facts_;
  const asio::any_io_executor executor_;
  const std::weak_ptr<SessionControl> control_;
  uint32_t cs_id_ = 0;
  net::TrafficCounters traffic_;

  mutable Mutex mu_;
  SessionInfo info_ ABSL_GUARDED_BY(mu_);
};

// What a guarded verb answers when its condition no longer holds
// (FailedPrecondition, told apart from others by IsNoLongerMatches).
absl::Status NoLongerMatches();
bool IsNoLongerMatches(const absl::Status& s);

}  // namespace obp::session
