// ProxyContext: what every client session of a node shares: configuration, the
// session registry, node identity, id generators. Built once at start-up.
//
// Thread rule: immutable after start-up except the atomics and the registry, which
// are safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "common/core/ids.h"
#include "proxyd/config/config.h"
#include "proxyd/session/registry.h"

namespace obp::net { class IoPool; }
namespace obp::kill { class KillService; }

namespace obp::session {

struct ProxyContext {
  const config::ProxyConfig* config = nullptr;
  SessionRegistry* registry = nullptr;
  net::IoPool* io = nullptr;
  kill::KillService* kills = nullptr;
  ProxySessIdGenerator* sessids = nullptr;
  std::string server_version = "5.5.5-10.11.0-proxyd";
  uint8_t server_charset = 45;
  int pid = 0;
  absl::Time started_at;
  std::atomic<uint32_t> next_ss_id{1};
  std::atomic<bool> stopping{false};
};

}  // namespace obp::session
