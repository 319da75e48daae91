#include "proxyd/session/statement_ticker.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace obp::session {

void StatementTicker::Enter(Member* m) {
  m->ticks_ = 0;
  if (m->slot_ == Member::kNotIn) {
    m->slot_ = members_.size();
    members_.push_back(m);
  }
  if (!ticking_) {
    ticking_ = true;
    asio::co_spawn(executor_, Tick(), asio::detached);
  }
}

void StatementTicker::Leave(Member* m) {
  if (m->slot_ == Member::kNotIn) return;
  Member* last = members_.back();
  members_[m->slot_] = last;
  last->slot_ = m->slot_;
  members_.pop_back();
  m->slot_ = Member::kNotIn;
}

asio::awaitable<void> StatementTicker::Tick() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!members_.empty()) {
    timer.expires_after(absl::ToChronoNanoseconds(tick_));
    // Nothing cancels this wait: a node stops only once its statements are over.
    co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    ++wakeups_;
    for (Member* m : members_) {
      if (m->ticks_ < 2) ++m->ticks_;
      if (m->ticks_ == 2) m->OnLongStatement();
    }
  }
  ticking_ = false;
}

}  // namespace obp::session
