// The data path's event counters (SPEC §8 Metrics): commands by command byte,
// statement latency buckets, connections accepted and refused, login failures.
//
// One ThreadCounters per io thread, each on its own cache lines, indexed by fixed
// numbers (a command byte, a bucket, an enum): counting is one relaxed fetch_add on
// a line that thread alone writes, with no lock, no label lookup and no contention.
// The scrape sums the threads' counters (Sum), so a sample is at most a few events
// behind, and since each counter only grows the sums never go backwards.
//
// Thread rule: Count*/Observe* from any thread (normally the owning io thread);
// Sum and the readers from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace obp::metrics {

// Why a connection was turned away before its session ran.
enum class Refusal : uint8_t {
  kMaxConnections,  // max_connections + admin_reserved_connections in use
  kAdminsOnly,      // a non-admin login in a reserved admin slot
  kCount
};
const char* RefusalName(Refusal r);  // "max_connections", ...

// Why a login failed.
enum class LoginFailure : uint8_t {
  kAccessDenied,  // unknown user, wrong password, TLS required
  kBadHandshake,  // malformed handshake, TLS asked of a node without it
  kTimeout,       // not complete within login_timeout_s
  kDatabase,      // the login database was refused by the backend
  kCount
};
const char* LoginFailureName(LoginFailure f);  // "access_denied", ...

// Upper bounds of the statement latency buckets, in seconds; +Inf follows them.
inline constexpr std::array<double, 14> kLatencyBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// What a ThreadCounters (or a sum of them) held at one moment.
struct CounterValues {
  std::array<uint64_t, 256> commands{};  // by command byte
  std::array<uint64_t, kLatencyBounds.size() + 1> latency_buckets{};  // not cumulative; last: +Inf
  uint64_t latency_count = 0;
  uint64_t latency_sum_ns = 0;
  uint64_t accepted = 0;
  std::array<uint64_t, static_cast<size_t>(Refusal::kCount)> refused{};
  std::array<uint64_t, static_cast<size_t>(LoginFailure::kCount)> login_failures{};
};

class alignas(64) ThreadCounters {
 public:
  void CountCommand(uint8_t command_byte) { Add(commands_[command_byte]); }
  // A statement's time from its command read to its reply written.
  void ObserveStatement(uint64_t nanos);
  void CountAccepted() { Add(accepted_); }
  void CountRefused(Refusal r) { Add(refused_[static_cast<size_t>(r)]); }
  void CountLoginFailure(LoginFailure f) { Add(login_failures_[static_cast<size_t>(f)]); }

  // Adds this thread's counters into *sum.
  void AddTo(CounterValues* sum) const;

  // The bucket index of a latency: the first bound >= it, or the +Inf bucket.
  static size_t BucketOf(uint64_t nanos);

 private:
  using Counter = std::atomic<uint64_t>;
  static void Add(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  std::array<Counter, 256> commands_{};
  std::array<Counter, kLatencyBounds.size() + 1> latency_buckets_{};
  Counter latency_count_{0};
  Counter latency_sum_ns_{0};
  Counter accepted_{0};
  std::array<Counter, static_cast<size_t>(Refusal::kCount)> refused_{};
  std::array<Counter, static_cast<size_t>(LoginFailure::kCount)> login_failures_{};
};

// Sums every thread's counters.
CounterValues Sum(const std::vector<ThreadCounters>& threads);

}  // namespace obp::metrics
