#include "proxyd/kill/kill_service.h"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/core/ids.h"
#include "proxyd/kill/audit_log.h"
#include "proxyd/kill/peer_forwarder.h"
#include "proxyd/session/client_session.h"

namespace obp::kill {

KillService::KillService(session::ProxyContext* ctx) : ctx_(ctx) {}
KillService::~KillService() = default;
void KillService::SetPeers(std::unique_ptr<PeerForwarder> peers) { peers_ = std::move(peers); }

bool KillService::Visible(const Caller& caller, const session::SessionInfo& target) {
  if (caller.admin) return true;
  return target.tenant == caller.tenant && target.user == caller.user;
}

absl::StatusOr<std::shared_ptr<session::ClientSession>> KillService::Resolve(
    const Caller& caller, const KillRequest& request) const {
  auto unknown = [&] { return absl::NotFoundError(absl::StrCat("Unknown thread id: ", request.id)); };
  // 1. A live cs_id of this node.
  if (request.id_kind != KillRequest::IdKind::kConnectionId && request.id <= 0x7FFFFFFF) {
    if (auto s = ctx_->registry->Find(static_cast<uint32_t>(request.id))) return s;
    if (request.id_kind == KillRequest::IdKind::kCsId) return unknown();
  }
  // 2. A backend connection_id held by one session of this node.
  std::vector<std::pair<std::shared_ptr<session::ClientSession>, std::string>> matches;
  for (auto& s : ctx_->registry->All()) {
    session::SessionInfo info = s->Info();
    for (const auto& ss : info.servers) {
      if (ss.connection_id != request.id) continue;
      if (!request.backend.empty() && ss.backend != request.backend) continue;
      matches.emplace_back(s, ss.backend);
    }
  }
  if (matches.empty()) return unknown();
  if (matches.size() > 1) {
    std::vector<std::string> parts;
    for (auto& [s, backend] : matches) {
      parts.push_back(absl::StrCat("cs_id ", s->cs_id(), " on backend ", backend));
    }
    return absl::FailedPreconditionError(absl::StrCat("Ambiguous connection id ", request.id,
                                                      ": matches ", absl::StrJoin(parts, ", ")));
  }
  return matches[0].first;
}

absl::StatusOr<KillResult> KillService::Check(const Caller& caller,
                                              const KillRequest& request) const {
  auto target = Resolve(caller, request);
  if (!target.ok()) return target.status();
  session::SessionInfo info = (*target)->Info();
  KillResult r;
  r.node_id = ctx_->config->node_id;
  r.cs_id = info.cs_id;
  r.dry_run = request.dry_run;
  r.self = caller.cs_id != 0 && caller.cs_id == info.cs_id;
  if (!r.self && !caller.admin) {
    if (info.tenant != caller.tenant) {
      return absl::NotFoundError(absl::StrCat("Unknown thread id: ", request.id));
    }
    if (info.user != caller.user) {
      return absl::PermissionDeniedError(absl::StrCat("You are not owner of thread ", request.id));
    }
  }
  bool found_ss = !request.ss_id.has_value();
  for (const auto& ss : info.servers) {
    if (request.ss_id && ss.ss_id != *request.ss_id) continue;
    found_ss = true;
    if (request.ss_id) r.ss_id = ss.ss_id;
    bool busy = ss.state == session::ServerState::kActive;
    // KILL QUERY touches only the statement in flight.
    if (request.mode == Mode::kQuery && !busy) continue;
    r.connection_ids.push_back(ss.connection_id);
    r.server_sessions.push_back(
        KilledServerSession{ss.ss_id, ss.backend, ss.connection_id, busy || ss.in_transaction});
  }
  if (!found_ss) return absl::NotFoundError(absl::StrCat("Unknown thread id: ", *request.ss_id));
  r.nothing_running = request.mode == Mode::kQuery && r.server_sessions.empty();
  return r;
}

asio::awaitable<absl::Status> KillService::Act(const KillRequest& request,
                                               const KillResult& checked) {
  auto target = ctx_->registry->Find(checked.cs_id);
  if (!target) co_return absl::OkStatus();  // it ended by itself meanwhile
  if (request.mode == Mode::kQuery) {
    if (checked.self) co_return absl::OkStatus();
    co_return co_await asio::co_spawn(target->executor(), target->InterruptQuery(),
                                      asio::use_awaitable);
  }
  if (request.ss_id) {
    co_return co_await asio::co_spawn(target->executor(),
                                      target->TerminateServerSession(*request.ss_id),
                                      asio::use_awaitable);
  }
  // The caller's own session is ended by the caller after it replies 1317.
  if (!checked.self) {
    co_await asio::co_spawn(target->executor(), target->Terminate(request.reason),
                            asio::use_awaitable);
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<KillResult>> KillService::Forward(const Caller& caller,
                                                                 const KillRequest& request) {
  uint32_t self = ctx_->config->node_id;
  if (request.id_kind != KillRequest::IdKind::kConnectionId && IsValidCsIdShape(request.id) &&
      NodeIdOfCsId(request.id) != self && peers_->HasNode(NodeIdOfCsId(request.id))) {
    auto r = co_await peers_->KillOnNode(NodeIdOfCsId(request.id), caller, request);
    if (!absl::IsNotFound(r.status())) co_return r;
  }
  if (request.id_kind == KillRequest::IdKind::kCsId) {
    co_return absl::NotFoundError(absl::StrCat("Unknown thread id: ", request.id));
  }
  co_return co_await peers_->KillByConnectionId(caller, request);
}

asio::awaitable<absl::StatusOr<KillResult>> KillService::Kill(Caller caller, KillRequest request) {
  absl::StatusOr<KillResult> result = Check(caller, request);
  if (result.ok() && !request.dry_run) {
    absl::Status acted = co_await Act(request, *result);
    if (!acted.ok()) result = acted;
  } else if (absl::IsNotFound(result.status()) && request.allow_forward && peers_) {
    auto forwarded = co_await Forward(caller, request);
    // The local "unknown" stands unless a peer knew better.
    if (!absl::IsNotFound(forwarded.status())) result = std::move(forwarded);
  }
  Audit(caller, request, result);
  co_return result;
}

void KillService::Audit(const Caller& caller, const KillRequest& request,
                        const absl::StatusOr<KillResult>& result) {
  AuditRecord rec;
  rec.node_id = ctx_->config->node_id;
  rec.actor = caller.actor;
  rec.id = request.id;
  rec.ss_id = request.ss_id;
  rec.mode = request.mode == Mode::kQuery ? "QUERY" : "CONNECTION";
  rec.reason = request.reason;
  rec.dry_run = request.dry_run;
  if (result.ok()) {
    rec.cs_id = result->cs_id;
    rec.connection_ids = result->connection_ids;
    rec.result = "ok";
  } else {
    rec.result = std::string(result.status().message());
  }
  obp::MutexLock lock(&audit_mu_);
  WriteAuditLine(ctx_->config->audit_log, rec);
}

}  // namespace obp::kill
