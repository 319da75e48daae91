// SessionHistory: the node's memory of its last `history_size` ended client
// sessions (SPEC §9), so an operator can answer "why did my connection drop?".
//
// A session writes its one entry when it ends (ClientSession::Run's end, the one
// path every session leaves by); nothing is written per packet or per command.
// The ring is a single mutex-guarded vector: one short critical section per ended
// session (a move into a slot; the entry it replaces is freed outside the lock),
// and readers copy what matches under the same lock.
//
// Memory: an entry is sizeof(EndedSession) (≈ 120 bytes on x86-64) plus its
// strings packed into one heap block (user, tenant, host, db, last statement,
// actor, detail; each cut to a bound, so at most ~3.9 KiB). The bench measures
// the node's RSS with 10,000 entries (bench/history_memory.sh).
//
// Thread rule: safe for concurrent use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/core/mutex.h"

namespace obp::session {

// Why a client session ended; named as SPEC §9 names them (EndReasonName).
enum class EndReason : uint8_t {
  kClientQuit,
  kClientGone,
  kKilled,
  kBackendLost,
  kIdleTimeout,
  kLoginTimeout,
  kLoginFailed,
  kDrain,
  kError,
};
inline constexpr int kEndReasonCount = 9;
const char* EndReasonName(EndReason r);  // "client_quit", ...
std::optional<EndReason> ParseEndReason(absl::string_view name);

// The front door a kill came through.
enum class KillVia : uint8_t { kNone, kSql, kGrpc, kPeer };
const char* KillViaName(KillVia v);  // "", "sql", "grpc", "peer"

// Why a session ends, as the path that ends it says it.
struct SessionEnd {
  EndReason reason = EndReason::kClientQuit;
  KillVia via = KillVia::kNone;
  std::string actor;   // killed, drain by kill: who (as the audit log names it)
  std::string detail;  // killed: the kill's reason; otherwise what ended it
};

// One ended session. Its text fields live in one packed string, so an entry costs
// one allocation however many fields it has.
class EndedSession {
 public:
  struct Text {
    absl::string_view user, tenant, host, db, last_statement, actor, detail;
  };
  // Bounds on the text fields (bytes); longer values are cut.
  static constexpr size_t kMaxName = 256;       // user, tenant, db, actor
  static constexpr size_t kMaxStatement = 1024;  // last statement
  static constexpr size_t kMaxDetail = 1024;

  EndedSession() = default;
  EndedSession(const Text& text, bool has_db);

  absl::string_view user() const { return Field(0); }
  absl::string_view tenant() const { return Field(1); }
  absl::string_view host() const { return Field(2); }  // "ip:port" or "localhost"
  absl::string_view db() const { return Field(3); }
  bool has_db() const { return has_db_; }
  absl::string_view last_statement() const { return Field(4); }
  absl::string_view actor() const { return Field(5); }
  absl::string_view detail() const { return Field(6); }
  // Heap bytes this entry holds beyond sizeof(EndedSession).
  size_t HeapBytes() const { return text_.capacity() > 15 ? text_.capacity() + 1 : 0; }

  uint64_t seq = 0;  // set by SessionHistory::Add: 1, 2, ... per node, in end order
  uint64_t proxy_sessid = 0;
  uint32_t cs_id = 0;
  EndReason reason = EndReason::kClientQuit;
  KillVia via = KillVia::kNone;
  absl::Time created;
  absl::Time ended;
  uint64_t statements = 0;
  uint64_t transactions = 0;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;

 private:
  static constexpr int kFields = 7;
  absl::string_view Field(int i) const {
    const uint16_t begin = i == 0 ? 0 : ends_[i - 1];
    return absl::string_view(text_).substr(begin, ends_[i] - begin);
  }
  std::string text_;
  uint16_t ends_[kFields] = {};
  bool has_db_ = false;
};

// Which entries a reader wants; every set field must match.
struct HistoryFilter {
  std::string user, tenant;
  std::string host;                     // as SessionFilter.client_host (HostMatches)
  std::optional<EndReason> reason;
  uint32_t cs_id = 0;                   // 0 = any
  absl::Time since = absl::InfinitePast();  // ended at or after
  uint64_t after_seq = 0;               // paging: only entries with a larger seq
  // SQL visibility (SHOW PROXYSESSION HISTORY): when set, only this user's
  // sessions in this tenant; user_like then matches the user name.
  std::optional<std::pair<std::string, std::string>> own_user_tenant;
  std::string user_like;                // SQL LIKE on user; empty = any
};

struct HistoryPage {
  std::vector<EndedSession> entries;  // by seq (end order), oldest first
  bool more = false;                  // entries past the limit matched too
  std::optional<absl::Time> kept_since;  // end time of the oldest entry kept
  uint64_t forgotten = 0;             // entries pushed out of the ring so far
  size_t capacity = 0;
};

class SessionHistory {
 public:
  explicit SessionHistory(size_t capacity) : capacity_(capacity) {}

  // Records one ended session (its seq is assigned here). A capacity of 0 keeps
  // nothing but still counts the entry as forgotten.
  void Add(EndedSession entry);
  // Up to `limit` matching entries, oldest first.
  HistoryPage Find(const HistoryFilter& filter, size_t limit) const;
  // SPEC §8 reload: keeps the newest min(size, capacity) entries.
  void Resize(size_t capacity);
  size_t size() const;
  size_t capacity() const;
  // sizeof and heap bytes of the entries kept (for the memory bench and tests).
  size_t MemoryBytes() const;

 private:
  // The i-th oldest entry kept.
  const EndedSession& At(size_t i) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  size_t capacity_ ABSL_GUARDED_BY(mu_);
  std::vector<EndedSession> ring_ ABSL_GUARDED_BY(mu_);
  size_t head_ ABSL_GUARDED_BY(mu_) = 0;  // index of the oldest entry once the ring is full
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t forgotten_ ABSL_GUARDED_BY(mu_) = 0;
};

// SessionFilter.client_host's rule: an exact ip, an exact "ip:port", or a prefix
// ending in '*' of the "ip:port" text.
bool HostMatches(absl::string_view pattern, absl::string_view ip, absl::string_view host_text);

}  // namespace obp::session
