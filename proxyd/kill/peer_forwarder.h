// PeerForwarder: the cross-node part of a SQL KILL (SPEC §3 "Across the fleet").
// A kill whose id is a cs_id of a peer goes to that peer; an id found nowhere on
// this node is asked of every peer in parallel as a connection_id, and killed on
// its one owner. The peer applies the caller's identity (user, tenant, admin) with
// the same rules; its answer becomes the caller's reply. Peers never forward again.
//
// Thread rule: safe from any thread; the coroutines resume on the caller's executor.
#pragma once

#include <asio/awaitable.hpp>

#include <memory>

#include "absl/status/statusor.h"
#include "common/fleet_client/fleet_client.h"
#include "proxyd/config/config.h"
#include "proxyd/kill/kill_service.h"

namespace obp::kill {

class PeerForwarder {
 public:
  // nullptr (and OK) when the config names no fleet file or the fleet has no peers.
  static absl::StatusOr<std::unique_ptr<PeerForwarder>> Create(const config::ProxyConfig& config);

  bool HasNode(uint32_t node_id) const;
  asio::awaitable<absl::StatusOr<KillResult>> KillOnNode(uint32_t node_id, const Caller& caller,
                                                         const KillRequest& request);
  asio::awaitable<absl::StatusOr<KillResult>> KillByConnectionId(const Caller& caller,
                                                                 const KillRequest& request);

 private:
  PeerForwarder(uint32_t self, std::unique_ptr<fleet::FleetClient> client)
      : self_(self), client_(std::move(client)) {}
  // Sends `request` (its ref already set) to peer `index` on behalf of `caller`.
  asio::awaitable<absl::StatusOr<KillResult>> Send(size_t index, const Caller& caller,
                                                   const KillRequest& kill,
                                                   obproxy::fleet::v1::KillSessionRequest request);
  absl::Status Unreachable(size_t index, const absl::Status& why) const;

  uint32_t self_;
  std::unique_ptr<fleet::FleetClient> client_;
};

}  // namespace obp::kill
