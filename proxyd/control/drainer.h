// Drainer: takes one node out of service without dropping work (SPEC §8 "Drain"),
// for SIGTERM/SIGINT and the Drain rpc.
//
// A drain stops accepting (the SQL listeners close, gRPC health turns
// NOT_SERVING: what the node's owner hands SetStopAccepting), sets the node's
// draining flag, and asks every session to close if it is idle outside a
// transaction; the others close themselves when they next get there, and logins
// in progress are refused with 1053. At the timeout the sessions still there are
// killed through the KillService, as by an admin, so each kill is audited with
// reason "drain". A drain runs once per process and cannot be undone.
//
// Thread rule: every public method is safe from any thread. The drain itself,
// and every `done` callback, run on the executor given at construction (the
// node's main io_context).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/registry.h"

namespace obp::control {

struct DrainOutcome {
  uint32_t sessions_at_start = 0;
  uint32_t ended = 0;        // ended by themselves (idle close, client, refused login)
  uint32_t killed = 0;       // still there at the timeout
  uint32_t unconfirmed = 0;  // killed, but a backend KILL was not confirmed
  absl::Duration took;
  bool joined = false;  // the caller joined a drain someone else started
  bool aborted = false;  // the node stopped before the drain finished
};

class Drainer {
 public:
  using Done = std::function<void(const DrainOutcome&)>;

  // `draining`: the flag sessions read (ProxyContext::draining).
  Drainer(asio::any_io_executor executor, uint32_t node_id, const SessionRegistry* registry,
          KillService* kills, std::atomic<bool>* draining);
  Drainer(const Drainer&) = delete;
  Drainer& operator=(const Drainer&) = delete;

  // Before the node serves: what stops new sessions. Runs once, on the executor.
  void SetStopAccepting(std::function<void()> stop_accepting);
  // Starts the drain, or joins the one running or finished; `done` is called
  // when every session has ended.
  void Drain(absl::Duration timeout, Done done);
  // Kills the remaining sessions now instead of at the timeout (a second signal).
  void Hurry();
  bool started() const { return started_.load(std::memory_order_acquire); }
  // Once the executor has stopped for good (the main thread, after its run()):
  // answers the callers of a drain that will not finish, with `aborted`.
  void Abandon();

 private:
  enum class Phase { kIdle, kRunning, kDone };
  asio::awaitable<void> Run(absl::Duration timeout);
  // Kills every session left; returns once each kill has answered.
  asio::awaitable<void> KillRest(DrainOutcome* outcome);
  // Waits until the registry is empty, `until` passes or (if `hurry`) Hurry().
  asio::awaitable<void> WaitEmpty(absl::Time until, bool stop_on_hurry);

  const asio::any_io_executor executor_;
  const uint32_t node_id_;
  const SessionRegistry* const registry_;
  KillService* const kills_;
  std::atomic<bool>* const draining_;
  std::atomic<bool> started_{false};

  // On the executor only.
  std::function<void()> stop_accepting_;
  Phase phase_ = Phase::kIdle;
  bool hurry_ = false;
  std::vector<Done> waiters_;
  DrainOutcome outcome_;
};

}  // namespace obp::control
