// BackendPool: idle backend connections kept after their client session ended,
// ready for the next client session of the same user, tenant and login options.
//
// A connection enters the pool only after COM_RESET_CONNECTION succeeded on it
// (the backend rolled back, dropped prepared statements, user variables and SET
// changes, and restored the login character set; it keeps the database), or
// without one when everything it ran provably left no state behind
// (ServerSession::needs_reset false: plain SELECT/SHOW without error or
// warning). Either way a reused one differs from a fresh login only in its
// connection_id and in the connect attributes of the client that first opened
// it. A connection that was killed, busy, inside a transaction, holding a cursor
// or with unread bytes never enters (ClientSession decides; see
// ReleaseServerSessions).
//
// Thread rule: one pool per io thread, because a connection's socket belongs to
// that thread's io_context. Take and Put run on the pool's own thread only; the
// mutex they take is never contended on the data path (other threads lock it only
// to count, for SHOW PROXYSESSION ATTRIBUTE and GetNodeInfo).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/core/mutex.h"
#include "absl/time/time.h"
#include "proxyd/config/config.h"
#include "proxyd/session/server_session.h"

namespace obp::session {

// What two logins must share for one's backend connection to serve the other.
// What SHOW PROXYSESSION ATTRIBUTE and GetNodeInfo report of a pool, per backend.
struct PoolStats {
  int idle = 0;                         // connections waiting in the pool now
  uint64_t returned_without_reset = 0;  // taken back with no reset round trip, since start
  PoolStats& operator+=(const PoolStats& o) {
    idle += o.idle;
    returned_without_reset += o.returned_without_reset;
    return *this;
  }
};

// The backend is named by what it is (tenant, name, address, TLS settings), not by
// the address of its config::Backend: after a reload that left a backend as it
// was, connections pooled under the old configuration still serve new sessions
// (the taker rebinds them, ServerSession::Rebind); after one that moved it, they
// match nothing and age out.
struct PoolKey {
  std::string tenant;
  const config::Backend* backend = nullptr;
  std::string user;
  uint32_t caps = 0;     // negotiated with the client; decides EOF/OK framing etc.
  uint32_t ext_caps = 0;  // MariaDB's: decides column-definition framing
  uint8_t charset = 0;   // COM_RESET_CONNECTION restores the login charset
};

class BackendPool {
 public:
  // `max_idle` bounds the connections kept per backend by this pool (0 disables
  // it); one idle longer than `idle_timeout` is closed the next time the pool is
  // used (the backend's own wait_timeout covers a pool nobody uses).
  BackendPool(int max_idle, absl::Duration idle_timeout)
      : max_idle_(max_idle), idle_timeout_(idle_timeout) {}
  ~BackendPool();
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  bool enabled() const { return max_idle_ > 0; }

  // A reset connection for `key` whose database is `db`, or (when `db` is not
  // empty, so a COM_INIT_DB will follow anyway) one in any database. Connections
  // the backend closed meanwhile are discarded on the way. nullptr if none.
  std::unique_ptr<ServerSession> Take(const PoolKey& key, absl::string_view db);

  // Keeps a connection the caller has just reset, or found clean. Closes it instead when the
  // backend already has max_idle connections here. Returns whether it was kept.
  // `without_reset`: it needed no reset (counted in PoolStats).
  bool Put(const PoolKey& key, std::unique_ptr<ServerSession> ss, bool without_reset);

  // Any thread: the figures of `backend` of `tenant` (as PoolKey names it).
  PoolStats Stats(const std::string& tenant, const config::Backend& backend) const;

 private:
  struct Entry {
    std::unique_ptr<ServerSession> ss;
    absl::Time since;
  };
  // The backend's identity (tenant, name, address, TLS mode and CA file).
  static std::string BackendId(const std::string& tenant, const config::Backend& backend);
  static std::string KeyString(const std::string& backend_id, const PoolKey& key);
  // Moves entries idle longer than idle_timeout_ (oldest first) into `out`.
  void ExpireLocked(std::deque<Entry>& entries, const std::string& backend_id,
                    std::deque<Entry>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_idle_;
  const absl::Duration idle_timeout_;
  mutable Mutex mu_;
  // Newest last: Take prefers the most recently used (warmest, least likely to
  // have hit the backend's wait_timeout).
  absl::flat_hash_map<std::string, std::deque<Entry>> idle_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, PoolStats> counts_ ABSL_GUARDED_BY(mu_);  // by BackendId
};

}  // namespace obp::session
