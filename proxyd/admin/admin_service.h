// AdminService: answers the statements proxyd handles itself (SPEC §3): SHOW
// PROXYSESSION [ATTRIBUTE|VARIABLES], KILL PROXYSESSION, KILL [CONNECTION|QUERY]
// and COM_PROCESS_KILL. It is the SQL front door onto the registry and the kill
// path, installed as the sessions' AdminFrontDoor; the calling session is seen only
// through its ClientPort, other sessions only through their handles.
//
// Thread rule: one instance per node, called on the calling session's executor;
// it keeps no per-call state, so concurrent calls from many sessions are safe.
#pragma once

#include <asio/awaitable.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/registry.h"
#include "proxyd/session/admin_front_door.h"
#include "proxyd/session/proxy_context.h"

namespace obp::admin {

class AdminService final : public session::AdminFrontDoor {
 public:
  AdminService(const session::ProxyContext* ctx, const control::SessionRegistry* registry,
               control::KillService* kills)
      : ctx_(ctx), registry_(registry), kills_(kills) {}

  asio::awaitable<absl::Status> Execute(session::ClientPort& caller,
                                        const sql::AdminStatement& stmt) override;
  asio::awaitable<absl::Status> ProcessKill(session::ClientPort& caller,
                                            absl::string_view payload) override;

 private:
  asio::awaitable<absl::Status> Kill(session::ClientPort& caller, control::KillRequest request);
  asio::awaitable<absl::Status> ShowSessions(session::ClientPort& caller);
  asio::awaitable<absl::Status> ShowAttribute(session::ClientPort& caller,
                                              const sql::AdminStatement& stmt);
  asio::awaitable<absl::Status> ShowVariables(session::ClientPort& caller,
                                              const sql::AdminStatement& stmt);
  asio::awaitable<absl::Status> ShowHistory(session::ClientPort& caller,
                                            const sql::AdminStatement& stmt);
  // The session a SHOW ... [id] is about: the caller's own without an id.
  absl::StatusOr<session::SessionInfo> Target(const session::ClientPort& caller,
                                              const sql::AdminStatement& stmt) const;

  const session::ProxyContext* ctx_;
  const control::SessionRegistry* registry_;
  control::KillService* kills_;
};

// The kill path's identity of a SQL caller.
control::Caller CallerOf(const session::CallerIdentity& who);

}  // namespace obp::admin
