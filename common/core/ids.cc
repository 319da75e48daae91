#include "common/core/ids.h"

namespace obp {
namespace {

constexpr int64_t kEpoch2024UnixSeconds = 1704067200;  // 2024-01-01T00:00:00Z

// Microseconds since 2024-01-01 mod 2^50. A clock set before 2024 gives a negative
// offset; two's complement wrap-around keeps the "mod 2^50" arithmetic consistent.
uint64_t BaseOf(absl::Time process_start) {
  int64_t us =
      absl::ToInt64Microseconds(process_start - absl::FromUnixSeconds(kEpoch2024UnixSeconds));
  return static_cast<uint64_t>(us) & kSessIdLowMask;
}

}  // namespace

ProxySessIdGenerator::ProxySessIdGenerator(uint32_t node_id, absl::Time process_start)
    : node_bits_(static_cast<uint64_t>(node_id & kMaxNodeId) << kSessIdNodeShift),
      base_(BaseOf(process_start)) {}

uint64_t ProxySessIdGenerator::Next() {
  uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  return node_bits_ | ((base_ + n) & kSessIdLowMask);
}

}  // namespace obp
