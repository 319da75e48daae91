// RuntimeConfig: one generation of the node's configuration together with what is
// built from it for the data plane (the SQL port's TLS context and one per backend
// that uses TLS). A reload (SPEC §8) builds a new one beside the running one and
// publishes it whole; nothing in a published generation ever changes.
//
// A client session takes the generation current when it starts and keeps it to
// its end, so the Backend, Tenant and User objects it points at (and its server
// sessions and pool keys) stay valid however many reloads happen meanwhile. A
// server session keeps its generation alive too (ServerSession::Rebind), so one
// parked in a pool never outlives the Backend it names.
//
// Thread rule: a RuntimeConfig is immutable and may be read from any thread.
// RuntimeConfigHolder::Get/Set are safe from any thread; Get takes a mutex, so it
// is called when a session starts, per gRPC call or admin statement, never per
// packet.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/core/mutex.h"
#include "proxyd/config/config.h"

namespace asio::ssl { class context; }

namespace obp::session {

struct RuntimeConfig {
  config::ProxyConfig config;
  uint64_t generation = 0;  // 1 at start, +1 per successful reload
  // SPEC §2 TLS: null when [sql_tls] is not configured.
  std::shared_ptr<asio::ssl::context> sql_tls;
  // Keyed by a Backend of `config` (only those whose `tls` is not off).
  absl::flat_hash_map<const config::Backend*, std::shared_ptr<asio::ssl::context>> backend_tls;

  asio::ssl::context* BackendTls(const config::Backend* b) const {
    auto it = backend_tls.find(b);
    return it == backend_tls.end() ? nullptr : it->second.get();
  }
};

// Builds a generation from a checked configuration: reads the TLS files. A file
// that cannot be used is InvalidArgument naming the section or backend, the file
// and OpenSSL's reason; nothing is published then.
absl::StatusOr<std::shared_ptr<const RuntimeConfig>> BuildRuntimeConfig(config::ProxyConfig config,
                                                                        uint64_t generation);

class RuntimeConfigHolder {
 public:
  std::shared_ptr<const RuntimeConfig> Get() const {
    MutexLock lock(&mu_);
    return current_;
  }
  void Set(std::shared_ptr<const RuntimeConfig> next) {
    // The old generation is released outside the lock (its last owner may be here).
    std::shared_ptr<const RuntimeConfig> old;
    MutexLock lock(&mu_);
    old = std::exchange(current_, std::move(next));
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const RuntimeConfig> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace obp::session
