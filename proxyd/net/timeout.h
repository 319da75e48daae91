// RunWithin: runs an awaitable with a deadline, for the data plane's limits (login
// timeout, idle timeout).
//
// Thread rule: a coroutine helper; runs on the caller's executor.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <optional>
#include <utility>

#include "absl/time/time.h"

namespace obp::net {

// `op`'s result, or nullopt if `timeout` passed first; `op` is then cancelled
// (its pending socket operation completes with operation_aborted) before this
// returns. `op` must tolerate cancellation; its connection is usually closed next.
template <class T>
asio::awaitable<std::optional<T>> RunWithin(asio::awaitable<T> op, absl::Duration timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           absl::ToChronoNanoseconds(timeout));
  auto result = co_await (std::move(op) || timer.async_wait(asio::use_awaitable));
  if (result.index() == 1) co_return std::nullopt;
  co_return std::move(std::get<0>(result));
}

}  // namespace obp::net
