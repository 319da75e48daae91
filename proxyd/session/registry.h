// SessionRegistry: every live client session of this node, by cs_id.
//
// Sharded 16 ways by cs_id, each shard with its own mutex; written only when a
// session starts or ends, never on the per-packet path. Readers (admin SQL, gRPC,
// kills) take handles out under the shard lock and do all further work outside it.
//
// Thread rule: safe for concurrent use from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/core/mutex.h"

namespace obp::session {

class ClientSession;

class SessionRegistry {
 public:
  explicit SessionRegistry(uint32_t node_id) : node_id_(node_id) {}

  // Gives `session` a fresh cs_id (SPEC §1: node bits + an 18-bit sequence that
  // skips 0 and ids in use) and registers it. ResourceExhausted when all 2^18-1
  // ids of the node are in use.
  absl::StatusOr<uint32_t> Register(std::shared_ptr<ClientSession> session);
  void Unregister(uint32_t cs_id);
  std::shared_ptr<ClientSession> Find(uint32_t cs_id) const;
  // Handles of every live session, in no particular order.
  std::vector<std::shared_ptr<ClientSession>> All() const;
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kShards = 16;
  struct Shard {
    mutable obp::Mutex mu;
    absl::flat_hash_map<uint32_t, std::shared_ptr<ClientSession>> sessions ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(uint32_t cs_id) { return shards_[cs_id % kShards]; }
  const Shard& ShardOf(uint32_t cs_id) const { return shards_[cs_id % kShards]; }

  const uint32_t node_id_;
  std::atomic<uint32_t> next_seq_{1};
  std::atomic<size_t> size_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace obp::session
