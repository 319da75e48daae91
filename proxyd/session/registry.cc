#include "proxyd/session/registry.h"

#include "common/core/ids.h"

namespace obp::session {

absl::StatusOr<uint32_t> SessionRegistry::Register(std::shared_ptr<ClientSession> session) {
  for (uint32_t attempt = 0; attempt < kCsSeqMask; ++attempt) {
    uint32_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed) & kCsSeqMask;
    if (seq == 0) continue;
    uint32_t cs_id = MakeCsId(node_id_, seq);
    Shard& shard = ShardOf(cs_id);
    obp::MutexLock lock(&shard.mu);
    if (shard.sessions.try_emplace(cs_id, session).second) {
      size_.fetch_add(1, std::memory_order_relaxed);
      return cs_id;
    }
  }
  return absl::ResourceExhaustedError("all client session ids of this node are in use");
}

void SessionRegistry::Unregister(uint32_t cs_id) {
  Shard& shard = ShardOf(cs_id);
  obp::MutexLock lock(&shard.mu);
  if (shard.sessions.erase(cs_id) > 0) size_.fetch_sub(1, std::memory_order_relaxed);
}

std::shared_ptr<ClientSession> SessionRegistry::Find(uint32_t cs_id) const {
  const Shard& shard = ShardOf(cs_id);
  obp::MutexLock lock(&shard.mu);
  auto it = shard.sessions.find(cs_id);
  return it == shard.sessions.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ClientSession>> SessionRegistry::All() const {
  std::vector<std::shared_ptr<ClientSession>> out;
  out.reserve(size());
  for (const Shard& shard : shards_) {
    obp::MutexLock lock(&shard.mu);
    for (const auto& [id, s] : shard.sessions) out.push_back(s);
  }
  return out;
}

}  // namespace obp::session
