// StatementTicker on a real io_context: who is told at which tick, and that the
// ticking stops once nothing is in flight. Steps are counted in ticks (run one
// handler at a time until the next wake-up), never in elapsed time.
#include "proxyd/session/statement_ticker.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <chrono>

namespace obp::session {
namespace {

struct Counting : StatementTicker::Member {
  int calls = 0;
  void OnLongStatement() override { ++calls; }
};

constexpr absl::Duration kTick = absl::Milliseconds(2);

// Runs `io` until the ticker has woken `n` more times. False if that takes more
// than 10 s (a ticker that stopped ticking) or the context runs out of work.
bool RunTicks(asio::io_context& io, const StatementTicker& ticker, uint64_t n) {
  const uint64_t target = ticker.wakeups() + n;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  io.restart();
  while (ticker.wakeups() < target) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.run_one_for(std::chrono::seconds(1)) == 0 && io.stopped()) return false;
  }
  return true;
}

// Runs `io` until it has no work left: with nothing in flight, the ticking ends.
void RunOut(asio::io_context& io) {
  io.restart();
  io.run();
}

TEST(StatementTicker, AStatementThatLeftBeforeATickIsNeverReported) {
  asio::io_context io;
  StatementTicker ticker(io.get_executor(), kTick);
  Counting m;
  ticker.Enter(&m);
  ticker.Leave(&m);
  io.run();  // returns once the ticking found nothing in flight and ended
  EXPECT_EQ(m.calls, 0);
  EXPECT_EQ(ticker.in_flight(), 0u);
  EXPECT_EQ(ticker.wakeups(), 0u);  // it ended before its first wait
}

TEST(StatementTicker, ALongStatementIsReportedAtEachTickFromTheSecond) {
  asio::io_context io;
  StatementTicker ticker(io.get_executor(), kTick);
  Counting m;
  ticker.Enter(&m);
  ASSERT_TRUE(RunTicks(io, ticker, 1));
  EXPECT_EQ(m.calls, 0);
  ASSERT_TRUE(RunTicks(io, ticker, 1));
  EXPECT_EQ(m.calls, 1);
  ASSERT_TRUE(RunTicks(io, ticker, 3));
  EXPECT_EQ(m.calls, 4);
  ticker.Leave(&m);
  RunOut(io);
  EXPECT_EQ(m.calls, 4);
}

TEST(StatementTicker, EnteringAgainRestartsTheCount) {
  asio::io_context io;
  StatementTicker ticker(io.get_executor(), kTick);
  Counting m;
  for (int i = 0; i < 5; ++i) {
    ticker.Enter(&m);  // a new statement at every tick: none is in flight for two
    ASSERT_TRUE(RunTicks(io, ticker, 1));
  }
  EXPECT_EQ(m.calls, 0);
  EXPECT_EQ(ticker.in_flight(), 1u);
  ticker.Leave(&m);
  RunOut(io);
}

TEST(StatementTicker, LeavingFromTheMiddleKeepsTheOthers) {
  asio::io_context io;
  StatementTicker ticker(io.get_executor(), kTick);
  Counting a, b, c;
  ticker.Enter(&a);
  ticker.Enter(&b);
  ticker.Enter(&c);
  ticker.Leave(&b);
  ticker.Leave(&b);  // twice: nothing
  EXPECT_EQ(ticker.in_flight(), 2u);
  ASSERT_TRUE(RunTicks(io, ticker, 2));
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 0);
  EXPECT_EQ(c.calls, 1);
  ticker.Leave(&a);
  ASSERT_TRUE(RunTicks(io, ticker, 1));
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(c.calls, 2);
  ticker.Leave(&c);
  EXPECT_EQ(ticker.in_flight(), 0u);
  RunOut(io);
}

TEST(StatementTicker, TheTickingStartsAgainAfterItEnded) {
  asio::io_context io;
  StatementTicker ticker(io.get_executor(), kTick);
  Counting m;
  ticker.Enter(&m);
  ticker.Leave(&m);
  io.run();  // the ticking ended
  ticker.Enter(&m);
  ASSERT_TRUE(RunTicks(io, ticker, 2));
  EXPECT_EQ(m.calls, 1);
  ticker.Leave(&m);
  RunOut(io);
}

}  // namespace
}  // namespace obp::session
