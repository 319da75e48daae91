#include "common/core/ids.h"

namespace obp {
namespace {
absl::Time Epoch2024() { return absl::FromUnixSeconds(1704067200); }
}  // namespace

ProxySessIdGenerator::ProxySessIdGenerator(uint32_t node_id, absl::Time process_start)
    : node_bits_(static_cast<uint64_t>(node_id & kMaxNodeId) << kSessIdNodeShift),
      base_(static_cast<uint64_t>(absl::ToInt64Microseconds(process_start - Epoch2024()))) {}

uint64_t ProxySessIdGenerator::Next() {
  uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  return node_bits_ | ((base_ + n) & kSessIdLowMask);
}

}  // namespace obp
