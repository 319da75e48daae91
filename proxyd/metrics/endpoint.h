// MetricsEndpoint: the HTTP server behind `metrics_listen` (SPEC §8): GET /metrics
// answers with a Collectable's families in the Prometheus text format.
//
// prometheus-cpp's Exposer (civetweb) serves it on its own two threads, so a scrape
// never runs on an io thread. It binds only the configured address.
//
// Thread rule: Start and the destructor from the node's main thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace obp::metrics {

class MetricsEndpoint {
 public:
  // Serves `collectable` at http://<address>/metrics. `address` is "HOST:PORT" as the
  // config spells it (a host name other than localhost is refused: bind an IP).
  // Unavailable if the address cannot be bound, with the address and the reason.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsEndpoint();

  // "host:port" actually bound.
  const std::string& address() const { return address_; }

 private:
  MetricsEndpoint() = default;
  std::shared_ptr<prometheus::Collectable> collectable_;  // the exposer holds a weak_ptr
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace obp::metrics
