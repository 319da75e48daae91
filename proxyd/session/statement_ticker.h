// StatementTicker: notices, for one io thread, the statements that are still in
// flight after a while, so that per-statement work only long statements need (the
// client hang-up watch) is paid by them alone.
//
// A statement enters when it has been sent to its backend and leaves when its reply
// is complete: two vector operations, no system call, no timer. While anything is
// in flight a coroutine on the thread wakes every `tick`; from the second wake-up a
// statement is found in flight at (so once it has run for at least one tick), its
// member's OnLongStatement is called at each. With no statement in flight the
// coroutine ends, so an idle node does not wake up.
//
// Thread rule: one ticker per io thread (ProxyContext::tickers); Enter, Leave and
// the callbacks all run on that thread. The ticker must outlive the io_context's
// work: the coroutine and every member point at it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace obp::session {

// The node's tick: a client that hangs up during a statement is noticed within two
// (SPEC §9 client_gone), and a statement shorter than one never pays for the watch.
inline constexpr absl::Duration kLongStatementTick = absl::Milliseconds(100);

class StatementTicker {
 public:
  // What a ticker watches: one client session's statement in flight.
  class Member {
   public:
    // The statement has been in flight for at least one tick; called again at each
    // tick until it leaves. On the ticker's thread, from the tick; must not Enter or
    // Leave any member.
    virtual void OnLongStatement() = 0;

   protected:
    ~Member() = default;

   private:
    friend class StatementTicker;
    size_t slot_ = kNotIn;  // index in the ticker's list
    int ticks_ = 0;         // wake-ups seen since Enter, counted up to 2
    static constexpr size_t kNotIn = static_cast<size_t>(-1);
  };

  StatementTicker(asio::any_io_executor executor, absl::Duration tick)
      : executor_(std::move(executor)), tick_(tick) {}
  StatementTicker(const StatementTicker&) = delete;
  StatementTicker& operator=(const StatementTicker&) = delete;

  // A statement of `m` is in flight from now on (again, if it already was).
  void Enter(Member* m);
  // `m`'s statement is over; nothing if it was not in.
  void Leave(Member* m);
  size_t in_flight() const { return members_.size(); }
  uint64_t wakeups() const { return wakeups_; }  // ticks so far, for tests

 private:
  asio::awaitable<void> Tick();

  asio::any_io_executor executor_;
  absl::Duration tick_;
  std::vector<Member*> members_;
  bool ticking_ = false;  // Tick() is running
  uint64_t wakeups_ = 0;
};

}  // namespace obp::session
