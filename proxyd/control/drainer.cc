#include "proxyd/control/drainer.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>

#include "absl/strings/str_cat.h"

namespace obp::control {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);
// After the kills: how long the killed sessions get to leave the registry.
constexpr absl::Duration kAfterKills = absl::Seconds(5);

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

Drainer::Drainer(asio::any_io_executor executor, uint32_t node_id,
                 const SessionRegistry* registry, KillService* kills,
                 std::atomic<bool>* draining)
    : executor_(std::move(executor)),
      node_id_(node_id),
      registry_(registry),
      kills_(kills),
      draining_(draining) {}

void Drainer::SetStopAccepting(std::function<void()> stop_accepting) {
  asio::post(executor_, [this, f = std::move(stop_accepting)]() mutable {
    stop_accepting_ = std::move(f);
  });
}

void Drainer::Drain(absl::Duration timeout, Done done) {
  started_.store(true, std::memory_order_release);
  asio::post(executor_, [this, timeout, done = std::move(done)]() mutable {
    switch (phase_) {
      case Phase::kDone: {
        DrainOutcome joined = outcome_;
        joined.joined = true;
        done(joined);
        return;
      }
      case Phase::kRunning:
        waiters_.push_back(std::move(done));
        return;
      case Phase::kIdle:
        phase_ = Phase::kRunning;
        waiters_.push_back(std::move(done));
        asio::co_spawn(executor_, Run(timeout), asio::detached);
        return;
    }
  });
}

void Drainer::Abandon() {
  std::vector<Done> waiters = std::move(waiters_);
  DrainOutcome o = outcome_;
  o.aborted = true;
  for (Done& done : waiters) done(o);
}

void Drainer::Hurry() {
  asio::post(executor_, [this] { hurry_ = true; });
}

asio::awaitable<void> Drainer::Run(absl::Duration timeout) {
  const absl::Time start = absl::Now();
  // The flag first: a session that finishes a command from now on closes itself,
  // and CloseIfIdle, posted after it, finds every other one waiting.
  draining_->store(true, std::memory_order_relaxed);
  if (stop_accepting_) stop_accepting_();
  const std::vector<HandlePtr> handles = registry_->All();
  outcome_.sessions_at_start = static_cast<uint32_t>(handles.size());
  spdlog::info("drain: started with {} session(s); the rest are killed after {}", handles.size(),
               absl::FormatDuration(timeout));
  for (const HandlePtr& h : handles) h->CloseIfIdle();

  co_await WaitEmpty(start + timeout, /*stop_on_hurry=*/true);
  if (registry_->size() > 0) co_await KillRest(&outcome_);
  co_await WaitEmpty(absl::Now() + kAfterKills, /*stop_on_hurry=*/false);

  outcome_.took = absl::Now() - start;
  const uint32_t at_start = outcome_.sessions_at_start;
  outcome_.ended = at_start > outcome_.killed ? at_start - outcome_.killed : 0;
  spdlog::info("drain: done in {}: {} session(s) ended by themselves, {} killed ({} not "
               "confirmed by their backend), {} left",
               absl::FormatDuration(absl::Trunc(outcome_.took, absl::Milliseconds(1))),
               outcome_.ended, outcome_.killed, outcome_.unconfirmed, registry_->size());
  phase_ = Phase::kDone;
  std::vector<Done> waiters = std::move(waiters_);
  for (size_t i = 0; i < waiters.size(); ++i) {
    DrainOutcome o = outcome_;
    o.joined = i > 0;
    waiters[i](o);
  }
}

asio::awaitable<void> Drainer::WaitEmpty(absl::Time until, bool stop_on_hurry) {
  while (registry_->size() > 0 && absl::Now() < until && !(stop_on_hurry && hurry_)) {
    co_await Sleep(kPoll);
  }
}

asio::awaitable<void> Drainer::KillRest(DrainOutcome* outcome) {
  const std::vector<HandlePtr> rest = registry_->All();
  Caller caller;
  caller.admin = true;
  caller.actor = absl::StrCat("drain (node ", node_id_, ")");
  // Every kill runs at once: each may wait backend_kill_timeout_ms for its backend.
  auto pending = std::make_shared<size_t>(rest.size());
  for (const HandlePtr& h : rest) {
    KillRequest request;
    request.id = h->cs_id();
    request.id_kind = KillRequest::IdKind::kCsId;
    request.reason = "drain";
    request.drain = true;
    auto count = [outcome, pending](std::exception_ptr e, absl::StatusOr<KillResult> r) {
      --*pending;
      if (e || !r.ok()) return;  // gone meanwhile: it ended by itself
      ++outcome->killed;
      if (!r->unconfirmed.empty()) ++outcome->unconfirmed;
    };
    asio::co_spawn(executor_, kills_->Kill(caller, std::move(request)), std::move(count));
  }
  while (*pending > 0) co_await Sleep(kPoll);
}

}  // namespace obp::control
