// RefusalLimiter: decides which refusals of unauthenticated callers reach the audit
// log (SPEC §6): at most `per_second` lines a second per client address; the rest
// are counted, and the next line written for that address is preceded by one
// that says how many were suppressed. An attacker without a token can't fill the
// disk through the audit log.
//
// Memory is bounded: at most kMaxAddresses addresses are tracked; past that, new
// addresses share one bucket.
//
// Thread rule: not synchronised; the KillService calls it under its audit lock.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace obp::control {

class RefusalLimiter {
 public:
  static constexpr size_t kMaxAddresses = 4096;
  explicit RefusalLimiter(int per_second = 10) : per_second_(per_second) {}

  struct Verdict {
    bool write = false;      // write this refusal's line
    uint64_t suppressed = 0; // first write a line saying this many were suppressed
  };
  Verdict Admit(absl::string_view address, absl::Time now);

 private:
  struct Bucket {
    absl::Time window_start;
    int written = 0;
    uint64_t suppressed = 0;
  };
  const int per_second_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

// The address part of a gRPC peer string ("ipv4:127.0.0.1:5000" -> "127.0.0.1",
// "ipv6:[::1]:5000" -> "[::1]").
std::string PeerAddress(absl::string_view grpc_peer);

}  // namespace obp::control
