#include "proxyd/control/refusal_limiter.h"

#include "absl/strings/strip.h"

namespace obp::control {

RefusalLimiter::Verdict RefusalLimiter::Admit(absl::string_view address, absl::Time now) {
  if (buckets_.size() >= kMaxAddresses && !buckets_.contains(address)) {
    // Forget addresses that have been quiet for a while and owe no summary.
    absl::erase_if(buckets_, [now](const auto& kv) {
      return kv.second.suppressed == 0 && now - kv.second.window_start > absl::Seconds(10);
    });
    if (buckets_.size() >= kMaxAddresses) address = "(other addresses)";
  }
  Bucket& b = buckets_[address];
  Verdict v;
  if (now - b.window_start >= absl::Seconds(1)) {
    b.window_start = now;
    b.written = 0;
  }
  if (b.written >= per_second_) {
    ++b.suppressed;
    return v;
  }
  ++b.written;
  v.write = true;
  v.suppressed = b.suppressed;
  b.suppressed = 0;
  return v;
}

std::string PeerAddress(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:") || absl::ConsumePrefix(&peer, "ipv6:")) {
    size_t colon = peer.rfind(':');
    if (colon != absl::string_view::npos) peer = peer.substr(0, colon);
  }
  return std::string(peer);
}

}  // namespace obp::control
