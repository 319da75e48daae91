#include "proxyd/control/registry.h"

#include "common/core/ids.h"

namespace obp::control {

absl::Status SessionRegistry::Register(std::shared_ptr<session::SessionHandle> handle) {
  for (uint32_t attempt = 0; attempt < kCsSeqMask; ++attempt) {
    uint32_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed) & kCsSeqMask;
    if (seq == 0) continue;
    uint32_t cs_id = MakeCsId(node_id_, seq);
    Shard& shard = ShardOf(cs_id);
    MutexLock lock(&shard.mu);
    if (shard.sessions.contains(cs_id)) continue;
    // Under the shard lock: whoever finds the handle also sees its cs_id.
    handle->AssignCsId(cs_id);
    shard.sessions.emplace(cs_id, std::move(handle));
    size_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError("all client session ids of this node are in use");
}

void SessionRegistry::Unregister(uint32_t cs_id) {
  Shard& shard = ShardOf(cs_id);
  MutexLock lock(&shard.mu);
  if (shard.sessions.erase(cs_id) > 0) size_.fetch_sub(1, std::memory_order_relaxed);
}

HandlePtr SessionRegistry::Find(uint32_t cs_id) const {
  const Shard& shard = ShardOf(cs_id);
  MutexLock lock(&shard.mu);
  auto it = shard.sessions.find(cs_id);
  return it == shard.sessions.end() ? nullptr : it->second;
}

std::vector<HandlePtr> SessionRegistry::All() const {
  std::vector<HandlePtr> out;
  out.reserve(size());
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    for (const auto& [id, s] : shard.sessions) out.push_back(s);
  }
  return out;
}

}  // namespace obp::control
