#include "proxyd/session/backend_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace obp::session {

BackendPool::~BackendPool() {
  MutexLock lock(&mu_);
  for (auto& [key, entries] : idle_) {
    for (Entry& e : entries) e.ss->conn().Close();
  }
}

std::string BackendPool::BackendId(const std::string& tenant, const config::Backend& b) {
  return absl::StrCat(tenant, "/", b.name, "/", b.address, "/", static_cast<int>(b.tls), "/",
                      b.ca_file);
}

std::string BackendPool::KeyString(const std::string& backend_id, const PoolKey& key) {
  return absl::StrCat(backend_id, "/", key.caps, "/", key.ext_caps, "/", key.charset, "/",
                      key.user);
}

std::unique_ptr<ServerSession> BackendPool::Take(const PoolKey& key, absl::string_view db) {
  if (!enabled()) return nullptr;
  const std::string id = BackendId(key.tenant, *key.backend);
  const std::string k = KeyString(id, key);
  std::unique_ptr<ServerSession> found;
  std::deque<Entry> gone;  // closed outside the lock
  {
    MutexLock lock(&mu_);
    auto it = idle_.find(k);
    if (it == idle_.end()) return nullptr;
    std::deque<Entry>& entries = it->second;
    ExpireLocked(entries, id, &gone);
    for (size_t i = entries.size(); i-- > 0;) {
      ServerSession* ss = entries[i].ss.get();
      bool dead = !ss->conn().is_open() || ss->LikelyGone();
      bool fits = ss->applied.db == db || !db.empty();
      if (!dead && !fits) continue;
      Entry e = std::move(entries[i]);
      entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
      --counts_[id].idle;
      if (dead) {
        gone.push_back(std::move(e));
        continue;
      }
      found = std::move(e.ss);
      break;
    }
    if (entries.empty()) idle_.erase(it);
  }
  for (Entry& e : gone) e.ss->conn().Close();
  return found;
}

bool BackendPool::Put(const PoolKey& key, std::unique_ptr<ServerSession> ss,
                      bool without_reset) {
  if (!enabled()) {
    ss->conn().Close();
    return false;
  }
  const std::string id = BackendId(key.tenant, *key.backend);
  const std::string k = KeyString(id, key);
  std::deque<Entry> gone;  // closed outside the lock
  bool kept = false;
  {
    MutexLock lock(&mu_);
    std::deque<Entry>& entries = idle_[k];
    ExpireLocked(entries, id, &gone);
    PoolStats& counts = counts_[id];
    if (counts.idle < max_idle_) {
      ++counts.idle;
      if (without_reset) ++counts.returned_without_reset;
      entries.push_back(Entry{std::move(ss), absl::Now()});
      kept = true;
    } else if (entries.empty()) {
      idle_.erase(k);
    }
  }
  for (Entry& e : gone) e.ss->conn().Close();
  if (!kept) ss->conn().Close();
  return kept;
}

void BackendPool::ExpireLocked(std::deque<Entry>& entries, const std::string& backend_id,
                               std::deque<Entry>* out) {
  absl::Time cutoff = absl::Now() - idle_timeout_;
  while (!entries.empty() && entries.front().since < cutoff) {
    out->push_back(std::move(entries.front()));
    entries.pop_front();
    --counts_[backend_id].idle;
  }
}

PoolStats BackendPool::Stats(const std::string& tenant, const config::Backend& backend) const {
  const std::string id = BackendId(tenant, backend);
  MutexLock lock(&mu_);
  auto it = counts_.find(id);
  return it == counts_.end() ? PoolStats{} : it->second;
}

}  // namespace obp::session
