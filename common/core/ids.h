// Id layouts shared by proxyd and obpctl (SPEC §1).
//
// cs_id (32 bits), the connection id a client sees in the greeting:
//   bit 31 = 0 | bits 30..18 = node_id (1..8191) | bits 17..0 = per-node sequence (never 0)
// Anyone holding a cs_id knows its node: NodeIdOfCsId(id) = (id >> 18) & 0x1FFF.
//
// proxy_sessid (64 bits), a client session's id unique across the fleet and restarts:
//   bit 63 = 0 | bits 62..50 = node_id | bits 49..0 = (B + n) mod 2^50
// where B = the process start in microseconds since 2024-01-01T00:00:00Z and n = the
// process's session counter (0, 1, 2, ...). The node bits keep nodes apart. A restarted
// process starts at a B' past every id the previous run handed out, as long as that run
// created fewer sessions than microseconds elapsed (less than one per microsecond on
// average); 2^50 us is about 35 years, so the wrap-around is far away.
//
// Thread rule: the functions are pure; ProxySessIdGenerator::Next is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace obp {

constexpr uint32_t kMaxNodeId = 8191;  // 13 bits; node ids are 1..kMaxNodeId
constexpr int kCsSeqBits = 18;
constexpr uint32_t kCsSeqMask = (1u << kCsSeqBits) - 1;

// REQUIRES: 1 <= node_id <= kMaxNodeId, 1 <= seq <= kCsSeqMask (extra bits are dropped).
constexpr uint32_t MakeCsId(uint32_t node_id, uint32_t seq) {
  return ((node_id & kMaxNodeId) << kCsSeqBits) | (seq & kCsSeqMask);
}
// Meaningful only when IsValidCsIdShape(id).
constexpr uint32_t NodeIdOfCsId(uint64_t id) {
  return static_cast<uint32_t>((id >> kCsSeqBits) & kMaxNodeId);
}
constexpr uint32_t SeqOfCsId(uint64_t id) { return static_cast<uint32_t>(id & kCsSeqMask); }
// True for a value that could be a cs_id: non-zero, below 2^31, sequence part non-zero.
// (Node 0 passes here: the caller then finds no node 0 and says so.)
constexpr bool IsValidCsIdShape(uint64_t id) {
  return id != 0 && id < (uint64_t{1} << 31) && SeqOfCsId(id) != 0;
}

constexpr int kSessIdNodeShift = 50;
constexpr uint64_t kSessIdLowMask = (uint64_t{1} << kSessIdNodeShift) - 1;

constexpr uint32_t NodeIdOfProxySessId(uint64_t id) {
  return static_cast<uint32_t>((id >> kSessIdNodeShift) & kMaxNodeId);
}

// Hands out proxy_sessids for one process. Thread-safe: Next() is one relaxed
// fetch_add (ids only need to be distinct, not ordered across threads).
class ProxySessIdGenerator {
 public:
  // REQUIRES: 1 <= node_id <= kMaxNodeId. process_start is taken once at start-up.
  ProxySessIdGenerator(uint32_t node_id, absl::Time process_start);
  ProxySessIdGenerator(const ProxySessIdGenerator&) = delete;
  ProxySessIdGenerator& operator=(const ProxySessIdGenerator&) = delete;

  uint64_t Next();

 private:
  const uint64_t node_bits_;
  const uint64_t base_;  // B above (already mod 2^50)
  std::atomic<uint64_t> counter_{0};
};

}  // namespace obp
