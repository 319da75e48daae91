// PeerForwarder: the cross-node part of a SQL KILL (SPEC §3 "Across the fleet").
// A kill whose id is a cs_id of a peer goes to that peer; an id found nowhere on
// this node is asked of every peer in parallel as a connection_id, and killed on
// its one owner. The peer applies the caller's identity (user, tenant, admin) with
// the same rules; its answer becomes the caller's reply. Peers never forward again.
// Security (SPEC §6): calls carry peer_token_file's operator token and use the
// node's own [grpc_tls] CA, certificate and key. A peer that refuses the token
// (UNAUTHENTICATED) makes the kill a refusal (PERMISSION_DENIED), not an outage.
//
// Thread rule: safe from any thread; the coroutines resume on the caller's executor.
#pragma once

#include <asio/awaitable.hpp>

#include <memory>

#include "absl/status/statusor.h"
#include "common/fleet_client/fleet_client.h"
#include "proxyd/config/config.h"
#include "proxyd/control/kill_service.h"

namespace obp::control {

class PeerForwarder {
 public:
  // nullptr (and OK) when the config names no fleet file or the fleet has no peers.
  // Fails on an unreadable or malformed peer_token_file (fleet or not).
  static absl::StatusOr<std::unique_ptr<PeerForwarder>> Create(const config::ProxyConfig& config);

  bool HasNode(uint32_t node_id) const;
  size_t peer_count() const { return client_->nodes().size(); }
  asio::awaitable<absl::StatusOr<KillResult>> KillOnNode(uint32_t node_id, const Caller& caller,
                                                         const KillRequest& request);
  asio::awaitable<absl::StatusOr<KillResult>> KillByConnectionId(const Caller& caller,
                                                                 const KillRequest& request);

 private:
  PeerForwarder(uint32_t self, bool has_token, std::unique_ptr<fleet::FleetClient> client)
      : self_(self), has_token_(has_token), client_(std::move(client)) {}
  // Sends `request` (its ref already set) to peer `index` on behalf of `caller`.
  asio::awaitable<absl::StatusOr<KillResult>> Send(size_t index, const Caller& caller,
                                                   const KillRequest& kill,
                                                   obproxy::fleet::v1::KillSessionRequest request);
  // A peer's failure as the SQL caller sees it: UNAVAILABLE "Node N (addr)
  // unreachable: ..." for an outage, PERMISSION_DENIED for a refused token, else as is.
  absl::Status PeerFailure(size_t index, const absl::Status& why) const;

  uint32_t self_;
  bool has_token_;
  std::unique_ptr<fleet::FleetClient> client_;
};

}  // namespace obp::control
