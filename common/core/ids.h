// Id layouts shared by proxyd and obpctl (SPEC §1).
//
// cs_id (32 bits): bit 31 = 0, bits 30..18 = node_id (1..8191), bits 17..0 = a
// per-node sequence that skips 0. Anyone holding a cs_id knows its node.
//
// proxy_sessid (64 bits): bit 63 = 0, bits 62..50 = node_id, bits 49..0 =
// (process start in microseconds since 2024-01-01T00:00:00Z + per-process session
// counter) mod 2^50. Unique across the fleet (node bits) and across restarts of a
// node as long as it creates fewer than one session per microsecond on average
// between restarts (a restart's base is past every id the previous run handed out).
//
// Thread rule: all functions are pure; ProxySessIdGenerator is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace obp {

constexpr uint32_t kMaxNodeId = 8191;
constexpr int kCsSeqBits = 18;
constexpr uint32_t kCsSeqMask = (1u << kCsSeqBits) - 1;

constexpr uint32_t MakeCsId(uint32_t node_id, uint32_t seq) {
  return ((node_id & kMaxNodeId) << kCsSeqBits) | (seq & kCsSeqMask);
}
constexpr uint32_t NodeIdOfCsId(uint64_t id) {
  return static_cast<uint32_t>((id >> kCsSeqBits) & kMaxNodeId);
}
constexpr uint32_t SeqOfCsId(uint64_t id) { return static_cast<uint32_t>(id & kCsSeqMask); }
// True for a value that could be a cs_id: fits in 31 bits, names a node, seq != 0.
constexpr bool IsValidCsIdShape(uint64_t id) {
  return id != 0 && id < (uint64_t{1} << 31) && SeqOfCsId(id) != 0 && NodeIdOfCsId(id) != 0;
}

constexpr int kSessIdNodeShift = 50;
constexpr uint64_t kSessIdLowMask = (uint64_t{1} << kSessIdNodeShift) - 1;

constexpr uint32_t NodeIdOfProxySessId(uint64_t id) {
  return static_cast<uint32_t>((id >> kSessIdNodeShift) & kMaxNodeId);
}

class ProxySessIdGenerator {
 public:
  ProxySessIdGenerator(uint32_t node_id, absl::Time process_start);
  uint64_t Next();

 private:
  const uint64_t node_bits_;
  const uint64_t base_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace obp
