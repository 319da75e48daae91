#include "proxyd/metrics/endpoint.h"

#include <arpa/inet.h>
#include <prometheus/exposer.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/core/address.h"

namespace obp::metrics {
namespace {

// civetweb's listening_ports spelling of an IP address ("127.0.0.1:9100",
// "[::1]:9100"); it would resolve names itself, so only IP literals pass.
absl::StatusOr<std::string> BindSpec(const std::string& address) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  std::string host = hp->host == "localhost" ? "127.0.0.1" : hp->host;
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return absl::StrCat(host, ":", hp->port);
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) return absl::StrCat("[", host, "]:", hp->port);
  return absl::InvalidArgumentError(
      absl::StrCat("metrics_listen: address must be an IP: ", address));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::shared_ptr<prometheus::Collectable> collectable) {
  auto spec = BindSpec(address);
  if (!spec.ok()) return spec.status();
  std::unique_ptr<MetricsEndpoint> ep(new MetricsEndpoint());
  ep->collectable_ = std::move(collectable);
  ep->address_ = *spec;
  // prometheus-cpp reports a failed bind by throwing (civetweb's CivetException);
  // it stops here, as a Status.
  try {
    ep->exposer_ = std::make_unique<prometheus::Exposer>(*spec, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot listen on ", address, ": ", e.what()));
  }
  ep->exposer_->RegisterCollectable(ep->collectable_);
  return ep;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace obp::metrics
