// RefusalLimiter: 10 refusal lines a second per address, then a count of the rest.
#include "proxyd/control/refusal_limiter.h"

#include <gtest/gtest.h>

namespace obp::control {
namespace {

TEST(RefusalLimiterTest, TenASecondThenASummaryOfTheSuppressed) {
  RefusalLimiter limiter(10);
  absl::Time t = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 10; ++i) {
    auto v = limiter.Admit("10.0.0.1", t);
    EXPECT_TRUE(v.write);
    EXPECT_EQ(v.suppressed, 0u);
  }
  for (int i = 0; i < 25; ++i) EXPECT_FALSE(limiter.Admit("10.0.0.1", t).write);
  // Another address has its own budget.
  EXPECT_TRUE(limiter.Admit("10.0.0.2", t).write);
  auto next = limiter.Admit("10.0.0.1", t + absl::Seconds(1));
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.suppressed, 25u);
  EXPECT_EQ(limiter.Admit("10.0.0.1", t + absl::Seconds(1)).suppressed, 0u);
}

TEST(RefusalLimiterTest, ManyAddressesShareOneBucketPastTheLimit) {
  RefusalLimiter limiter(1);
  absl::Time t = absl::FromUnixSeconds(1000);
  for (size_t i = 0; i < RefusalLimiter::kMaxAddresses; ++i) {
    EXPECT_TRUE(limiter.Admit(std::to_string(i), t).write);
  }
  EXPECT_TRUE(limiter.Admit("new-1", t).write);   // the shared bucket's first line
  EXPECT_FALSE(limiter.Admit("new-2", t).write);  // same bucket, over its limit
}

TEST(RefusalLimiterTest, PeerAddressDropsThePort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:5000"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:5000"), "[::1]");
  EXPECT_EQ(PeerAddress("unix:/tmp/sock"), "unix:/tmp/sock");
}

}  // namespace
}  // namespace obp::control
