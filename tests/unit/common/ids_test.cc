#include "common/core/ids.h"

#include <set>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace obp {
namespace {

TEST(CsId, LayoutMatchesSpec) {
  // bit 31 = 0, bits 30..18 = node_id, bits 17..0 = seq.
  EXPECT_EQ(MakeCsId(1, 1), (1u << 18) | 1u);
  EXPECT_EQ(MakeCsId(8191, kCsSeqMask), 0x7FFFFFFFu);
  EXPECT_EQ(MakeCsId(3, 5) >> 31, 0u);
  static_assert(kCsSeqMask == 0x3FFFF);
  static_assert(NodeIdOfCsId(MakeCsId(42, 7)) == 42);
  static_assert(SeqOfCsId(MakeCsId(42, 7)) == 7);
}

TEST(CsId, RoundTripsEveryNodeAtTheSequenceEdges) {
  for (uint32_t node = 1; node <= kMaxNodeId; ++node) {
    for (uint32_t seq : {1u, 2u, kCsSeqMask - 1, kCsSeqMask}) {
      uint32_t id = MakeCsId(node, seq);
      ASSERT_EQ(NodeIdOfCsId(id), node);
      ASSERT_EQ(SeqOfCsId(id), seq);
      ASSERT_EQ(id >> 18 & 0x1FFF, node);  // what any holder of the id computes
      ASSERT_TRUE(IsValidCsIdShape(id));
    }
  }
}

TEST(CsId, ShapeRejectsZeroHighBitAndZeroSequence) {
  EXPECT_FALSE(IsValidCsIdShape(0));
  EXPECT_FALSE(IsValidCsIdShape(uint64_t{1} << 31));
  EXPECT_FALSE(IsValidCsIdShape(0xFFFFFFFFu));
  EXPECT_FALSE(IsValidCsIdShape(uint64_t{1} << 40 | 1));
  EXPECT_FALSE(IsValidCsIdShape(MakeCsId(5, 0)));
  EXPECT_TRUE(IsValidCsIdShape(0x7FFFFFFF));
  EXPECT_TRUE(IsValidCsIdShape(1));  // node 0: shape is fine, no such node exists
}

TEST(ProxySessId, LayoutAndNode) {
  absl::Time start = absl::FromUnixSeconds(1704067200) + absl::Microseconds(1000);
  ProxySessIdGenerator gen(77, start);
  uint64_t a = gen.Next();
  uint64_t b = gen.Next();
  EXPECT_EQ(a >> 63, 0u);
  EXPECT_EQ(NodeIdOfProxySessId(a), 77u);
  EXPECT_EQ(a & kSessIdLowMask, 1000u);  // base = us since 2024-01-01
  EXPECT_EQ(b, a + 1);
}

TEST(ProxySessId, MaxNodeKeepsTopBitClear) {
  ProxySessIdGenerator gen(kMaxNodeId, absl::Now());
  uint64_t id = gen.Next();
  EXPECT_EQ(id >> 63, 0u);
  EXPECT_EQ(NodeIdOfProxySessId(id), kMaxNodeId);
}

TEST(ProxySessId, LowBitsWrapWithoutTouchingTheNode) {
  // A start 2^50 - 2 us after the epoch: the third id wraps to 0 in the low bits.
  absl::Time start = absl::FromUnixSeconds(1704067200) +
                     absl::Microseconds(static_cast<int64_t>(kSessIdLowMask - 1));
  ProxySessIdGenerator gen(3, start);
  EXPECT_EQ(gen.Next() & kSessIdLowMask, kSessIdLowMask - 1);
  EXPECT_EQ(gen.Next() & kSessIdLowMask, kSessIdLowMask);
  uint64_t wrapped = gen.Next();
  EXPECT_EQ(wrapped & kSessIdLowMask, 0u);
  EXPECT_EQ(NodeIdOfProxySessId(wrapped), 3u);
}

TEST(ProxySessId, ClockBefore2024StillYieldsValidIds) {
  ProxySessIdGenerator gen(9, absl::FromUnixSeconds(0));
  uint64_t id = gen.Next();
  EXPECT_EQ(id >> 63, 0u);
  EXPECT_EQ(NodeIdOfProxySessId(id), 9u);
}

TEST(ProxySessId, RestartAfterBusyRunDoesNotReuseIds) {
  // A run that made 500 sessions over 1 ms, then a restart 1 ms later.
  absl::Time t0 = absl::FromUnixSeconds(1750000000);
  ProxySessIdGenerator first(4, t0);
  std::set<uint64_t> seen;
  for (int i = 0; i < 500; ++i) seen.insert(first.Next());
  ProxySessIdGenerator second(4, t0 + absl::Milliseconds(1));
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.insert(second.Next()).second);
  // And another node at the same instant never collides.
  ProxySessIdGenerator other(5, t0);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.insert(other.Next()).second);
}

TEST(ProxySessId, ConcurrentNextGivesDistinctIds) {
  ProxySessIdGenerator gen(12, absl::Now());
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) got[t].push_back(gen.Next());
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), size_t{kThreads * kEach});
}

}  // namespace
}  // namespace obp
