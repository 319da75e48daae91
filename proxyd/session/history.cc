#include "proxyd/session/history.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "proxyd/sql/like.h"

namespace obp::session {
namespace {

constexpr std::array<const char*, kEndReasonCount> kReasonNames = {
    "client_quit",  "client_gone",   "killed", "backend_lost", "idle_timeout",
    "login_timeout", "login_failed", "drain",  "error",
};

bool Matches(const HistoryFilter& f, const EndedSession& e) {
  if (e.seq <= f.after_seq || e.ended < f.since) return false;
  if (f.cs_id != 0 && e.cs_id != f.cs_id) return false;
  if (f.reason && e.reason != *f.reason) return false;
  if (!f.user.empty() && e.user() != f.user) return false;
  if (!f.tenant.empty() && e.tenant() != f.tenant) return false;
  if (f.own_user_tenant &&
      (e.user() != f.own_user_tenant->first || e.tenant() != f.own_user_tenant->second)) {
    return false;
  }
  if (!f.user_like.empty() && !sql::LikeMatch(f.user_like, e.user())) return false;
  if (!f.host.empty()) {
    absl::string_view host = e.host();
    // The ip part of "ip:port" or "[ip6]:port" ("localhost" has none).
    absl::string_view ip = host;
    if (absl::StartsWith(host, "[")) {
      ip = host.substr(1, host.find(']') - 1);
    } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
      ip = host.substr(0, colon);
    }
    if (!HostMatches(f.host, ip, host)) return false;
  }
  return true;
}

}  // namespace

const char* EndReasonName(EndReason r) { return kReasonNames[static_cast<size_t>(r)]; }

std::optional<EndReason> ParseEndReason(absl::string_view name) {
  for (size_t i = 0; i < kReasonNames.size(); ++i) {
    if (name == kReasonNames[i]) return static_cast<EndReason>(i);
  }
  return std::nullopt;
}

const char* KillViaName(KillVia v) {
  switch (v) {
    case KillVia::kSql: return "sql";
    case KillVia::kGrpc: return "grpc";
    case KillVia::kPeer: return "peer";
    case KillVia::kNone: break;
  }
  return "";
}

EndedSession::EndedSession(const Text& text, bool has_db) : has_db_(has_db) {
  const absl::string_view fields[kFields] = {
      text.user.substr(0, kMaxName),
      text.tenant.substr(0, kMaxName),
      text.host.substr(0, kMaxName),
      text.db.substr(0, kMaxName),
      text.last_statement.substr(0, kMaxStatement),
      text.actor.substr(0, kMaxName),
      text.detail.substr(0, kMaxDetail),
  };
  size_t total = 0;
  for (absl::string_view f : fields) total += f.size();
  text_.reserve(total);  // one exact allocation: the ring keeps these for hours
  for (int i = 0; i < kFields; ++i) {
    text_.append(fields[i].data(), fields[i].size());
    ends_[i] = static_cast<uint16_t>(text_.size());
  }
}

void SessionHistory::Add(EndedSession entry) {
  EndedSession replaced;  // freed after the lock is released
  {
    MutexLock lock(&mu_);
    entry.seq = next_seq_++;
    if (capacity_ == 0) {
      ++forgotten_;
      return;
    }
    if (ring_.size() < capacity_) {
      ring_.push_back(std::move(entry));
      return;
    }
    replaced = std::exchange(ring_[head_], std::move(entry));
    head_ = (head_ + 1) % ring_.size();
    ++forgotten_;
  }
}

const EndedSession& SessionHistory::At(size_t i) const {
  return ring_[(head_ + i) % ring_.size()];
}

HistoryPage SessionHistory::Find(const HistoryFilter& filter, size_t limit) const {
  HistoryPage page;
  MutexLock lock(&mu_);
  page.capacity = capacity_;
  page.forgotten = forgotten_;
  if (!ring_.empty()) page.kept_since = At(0).ended;
  for (size_t i = 0; i < ring_.size(); ++i) {
    const EndedSession& e = At(i);
    if (!Matches(filter, e)) continue;
    if (page.entries.size() == limit) {
      page.more = true;
      break;
    }
    page.entries.push_back(e);
  }
  return page;
}

void SessionHistory::Resize(size_t capacity) {
  std::vector<EndedSession> old;
  MutexLock lock(&mu_);
  if (capacity == capacity_) return;
  const size_t keep = std::min(capacity, ring_.size());
  std::vector<EndedSession> kept;
  kept.reserve(keep);
  for (size_t i = ring_.size() - keep; i < ring_.size(); ++i) {
    kept.push_back(std::move(ring_[(head_ + i) % ring_.size()]));
  }
  forgotten_ += ring_.size() - keep;
  old = std::exchange(ring_, std::move(kept));
  head_ = 0;
  capacity_ = capacity;
}

size_t SessionHistory::size() const {
  MutexLock lock(&mu_);
  return ring_.size();
}

size_t SessionHistory::capacity() const {
  MutexLock lock(&mu_);
  return capacity_;
}

size_t SessionHistory::MemoryBytes() const {
  MutexLock lock(&mu_);
  size_t bytes = ring_.capacity() * sizeof(EndedSession);
  for (const EndedSession& e : ring_) bytes += e.HeapBytes();
  return bytes;
}

bool HostMatches(absl::string_view pattern, absl::string_view ip, absl::string_view host_text) {
  if (pattern.empty()) return true;
  if (pattern.back() == '*') {
    return absl::StartsWith(host_text, pattern.substr(0, pattern.size() - 1));
  }
  return host_text == pattern || ip == pattern;
}

}  // namespace obp::session
