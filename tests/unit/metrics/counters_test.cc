// ThreadCounters: bucket choice at the bounds, sums over threads, and counts from
// several threads at once adding up exactly.
#include "proxyd/metrics/counters.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace obp::metrics {
namespace {

TEST(ThreadCounters, BucketIsTheFirstBoundAtOrAboveTheLatency) {
  EXPECT_EQ(ThreadCounters::BucketOf(0), 0u);
  EXPECT_EQ(ThreadCounters::BucketOf(500'000), 0u);      // exactly 0.5 ms: le="0.0005"
  EXPECT_EQ(ThreadCounters::BucketOf(500'001), 1u);      // just above: le="0.001"
  EXPECT_EQ(ThreadCounters::BucketOf(1'000'000'000), 10u);  // 1 s
  EXPECT_EQ(ThreadCounters::BucketOf(10'000'000'000), kLatencyBounds.size() - 1);
  EXPECT_EQ(ThreadCounters::BucketOf(10'000'000'001), kLatencyBounds.size());  // +Inf
  EXPECT_EQ(ThreadCounters::BucketOf(UINT64_MAX), kLatencyBounds.size());
}

TEST(ThreadCounters, SumAddsEveryThread) {
  std::vector<ThreadCounters> threads(3);
  threads[0].CountCommand(0x03);
  threads[1].CountCommand(0x03);
  threads[2].CountCommand(0x17);
  threads[0].ObserveStatement(2'000'000);  // 2 ms
  threads[2].ObserveStatement(3);
  threads[1].CountAccepted();
  threads[1].CountAccepted();
  threads[2].CountRefused(Refusal::kAdminsOnly);
  threads[0].CountLoginFailure(LoginFailure::kAccessDenied);
  threads[1].CountLoginFailure(LoginFailure::kAccessDenied);
  CounterValues v = Sum(threads);
  EXPECT_EQ(v.commands[0x03], 2u);
  EXPECT_EQ(v.commands[0x17], 1u);
  EXPECT_EQ(v.commands[0x0e], 0u);
  EXPECT_EQ(v.latency_count, 2u);
  EXPECT_EQ(v.latency_sum_ns, 2'000'003u);
  EXPECT_EQ(v.latency_buckets[0], 1u);  // 3 ns
  EXPECT_EQ(v.latency_buckets[2], 1u);  // 2 ms: le="0.0025"
  EXPECT_EQ(v.accepted, 2u);
  EXPECT_EQ(v.refused[static_cast<size_t>(Refusal::kAdminsOnly)], 1u);
  EXPECT_EQ(v.refused[static_cast<size_t>(Refusal::kMaxConnections)], 0u);
  EXPECT_EQ(v.login_failures[static_cast<size_t>(LoginFailure::kAccessDenied)], 2u);
}

TEST(ThreadCounters, ConcurrentCountsAddUpExactly) {
  // Each thread normally writes only its own counters; another thread may still
  // count into them (a Unix-socket accept runs on thread 0): nothing is lost.
  std::vector<ThreadCounters> threads(2);
  constexpr int kWriters = 4, kEach = 20000;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&threads, w] {
      for (int i = 0; i < kEach; ++i) {
        threads[w % 2].CountCommand(0x03);
        threads[w % 2].ObserveStatement(1000);
      }
    });
  }
  for (auto& t : writers) t.join();
  CounterValues v = Sum(threads);
  EXPECT_EQ(v.commands[0x03], uint64_t{kWriters} * kEach);
  EXPECT_EQ(v.latency_count, uint64_t{kWriters} * kEach);
  EXPECT_EQ(v.latency_sum_ns, uint64_t{kWriters} * kEach * 1000);
}

TEST(ThreadCounters, EachThreadsCountersHaveTheirOwnCacheLines) {
  EXPECT_EQ(alignof(ThreadCounters) % 64, 0u);
  std::vector<ThreadCounters> threads(2);
  auto gap = reinterpret_cast<const char*>(&threads[1]) - reinterpret_cast<const char*>(&threads[0]);
  EXPECT_GE(gap, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(&threads[0]) % 64, 0u);
}

TEST(Names, LabelValues) {
  EXPECT_STREQ(RefusalName(Refusal::kMaxConnections), "max_connections");
  EXPECT_STREQ(LoginFailureName(LoginFailure::kTimeout), "timeout");
}

}  // namespace
}  // namespace obp::metrics
