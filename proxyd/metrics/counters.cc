#include "proxyd/metrics/counters.h"

namespace obp::metrics {
namespace {

// The bounds in nanoseconds, so the data path compares integers.
constexpr std::array<uint64_t, kLatencyBounds.size()> BoundsNs() {
  std::array<uint64_t, kLatencyBounds.size()> out{};
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    out[i] = static_cast<uint64_t>(kLatencyBounds[i] * 1e9 + 0.5);
  }
  return out;
}
constexpr std::array<uint64_t, kLatencyBounds.size()> kBoundsNs = BoundsNs();

template <size_t N>
void AddArray(const std::array<std::atomic<uint64_t>, N>& from, std::array<uint64_t, N>* to) {
  for (size_t i = 0; i < N; ++i) (*to)[i] += from[i].load(std::memory_order_relaxed);
}

}  // namespace

const char* RefusalName(Refusal r) {
  switch (r) {
    case Refusal::kMaxConnections: return "max_connections";
    case Refusal::kAdminsOnly: return "admins_only";
    case Refusal::kCount: break;
  }
  return "other";
}

const char* LoginFailureName(LoginFailure f) {
  switch (f) {
    case LoginFailure::kAccessDenied: return "access_denied";
    case LoginFailure::kBadHandshake: return "bad_handshake";
    case LoginFailure::kTimeout: return "timeout";
    case LoginFailure::kDatabase: return "database";
    case LoginFailure::kCount: break;
  }
  return "other";
}

size_t ThreadCounters::BucketOf(uint64_t nanos) {
  // 14 bounds: a linear scan is as fast as a binary search and simpler.
  for (size_t i = 0; i < kBoundsNs.size(); ++i) {
    if (nanos <= kBoundsNs[i]) return i;
  }
  return kBoundsNs.size();
}

void ThreadCounters::ObserveStatement(uint64_t nanos) {
  Add(latency_buckets_[BucketOf(nanos)]);
  Add(latency_count_);
  Add(latency_sum_ns_, nanos);
}

void ThreadCounters::AddTo(CounterValues* sum) const {
  AddArray(commands_, &sum->commands);
  AddArray(latency_buckets_, &sum->latency_buckets);
  sum->latency_count += latency_count_.load(std::memory_order_relaxed);
  sum->latency_sum_ns += latency_sum_ns_.load(std::memory_order_relaxed);
  sum->accepted += accepted_.load(std::memory_order_relaxed);
  AddArray(refused_, &sum->refused);
  AddArray(login_failures_, &sum->login_failures);
}

CounterValues Sum(const std::vector<ThreadCounters>& threads) {
  CounterValues sum;
  for (const ThreadCounters& t : threads) t.AddTo(&sum);
  return sum;
}

}  // namespace obp::metrics
