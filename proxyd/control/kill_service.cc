#include "proxyd/control/kill_service.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/core/ids.h"
#include "proxyd/control/audit_log.h"
#include "proxyd/control/peer_forwarder.h"

namespace obp::control {
namespace {

// A refusal's metrics outcome, from its status (the audit line has its message).
metrics::KillOutcome OutcomeOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk: return metrics::KillOutcome::kOk;
    case absl::StatusCode::kNotFound: return metrics::KillOutcome::kNotFound;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated: return metrics::KillOutcome::kDenied;
    case absl::StatusCode::kFailedPrecondition: return metrics::KillOutcome::kAmbiguous;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return metrics::KillOutcome::kUnreachable;
    default: return metrics::KillOutcome::kRefused;
  }
}

metrics::KillOutcome OutcomeOf(const KillResult& r) {
  if (r.no_longer_matches) return metrics::KillOutcome::kNoLongerMatches;
  if (r.dry_run) return metrics::KillOutcome::kDryRun;
  return r.unconfirmed.empty() ? metrics::KillOutcome::kOk : metrics::KillOutcome::kPartial;
}

}  // namespace

session::SessionEnd EndOf(const Caller& caller, const KillRequest& request) {
  session::SessionEnd end;
  end.reason = request.drain ? session::EndReason::kDrain : session::EndReason::kKilled;
  switch (request.drain ? metrics::KillSource::kCount : caller.source) {
    case metrics::KillSource::kSql: end.via = session::KillVia::kSql; break;
    case metrics::KillSource::kGrpc: end.via = session::KillVia::kGrpc; break;
    case metrics::KillSource::kPeer: end.via = session::KillVia::kPeer; break;
    case metrics::KillSource::kCount: break;
  }
  end.actor = caller.actor;
  end.detail = request.reason;
  return end;
}

bool Visible(const Caller& caller, const session::SessionInfo& target) {
  if (caller.admin) return true;
  return target.tenant == caller.tenant && target.user == caller.user;
}

KillService::KillService(uint32_t node_id, std::string audit_log,
                         const SessionRegistry* registry)
    : node_id_(node_id), registry_(registry), audit_log_(std::move(audit_log)) {}
KillService::~KillService() = default;

void KillService::SetPeers(std::shared_ptr<PeerForwarder> peers) {
  MutexLock lock(&peers_mu_);
  peers_.swap(peers);  // the old forwarder goes after the lock, with `peers`
}

void KillService::SetAuditLog(std::string audit_log) {
  MutexLock lock(&audit_mu_);
  audit_log_ = std::move(audit_log);
}

absl::StatusOr<HandlePtr> KillService::Resolve(const KillRequest& request) const {
  // 1. A live cs_id of this node.
  if (request.id_kind != KillRequest::IdKind::kConnectionId && request.id <= 0x7FFFFFFF) {
    if (auto s = registry_->Find(static_cast<uint32_t>(request.id))) return s;
    if (request.id_kind == KillRequest::IdKind::kCsId) return session::UnknownThreadId(request.id);
  }
  // 2. A backend connection_id held by one session of this node.
  std::vector<std::pair<HandlePtr, std::string>> matches;
  for (auto& s : registry_->All()) {
    session::SessionInfo info = s->Info();
    for (const auto& ss : info.servers) {
      if (ss.connection_id != request.id) continue;
      if (!request.backend.empty() && ss.backend != request.backend) continue;
      matches.emplace_back(s, ss.backend);
    }
  }
  if (matches.empty()) return session::UnknownThreadId(request.id);
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
  auto target = Resolve(request);
  if (!target.ok()) return target.status();
  session::SessionInfo info = (*target)->Info();
  KillResult r;
  r.node_id = node_id_;
  r.cs_id = info.cs_id;
  r.dry_run = request.dry_run;
  r.self = caller.cs_id != 0 && caller.cs_id == info.cs_id;
  if (!r.self && !caller.admin) {
    if (info.tenant != caller.tenant) return session::UnknownThreadId(request.id);
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
  if (!found_ss) return session::UnknownThreadId(*request.ss_id);
  r.nothing_running = request.mode == Mode::kQuery && r.server_sessions.empty();
  r.no_longer_matches = request.only_if && !request.only_if(info);
  return r;
}

asio::awaitable<absl::Status> KillService::Act(const Caller& caller, const KillRequest& request,
                                               const KillResult& checked) {
  HandlePtr target = registry_->Find(checked.cs_id);
  if (!target) co_return absl::OkStatus();  // it ended by itself meanwhile
  if (request.mode == Mode::kQuery) {
    if (checked.self) co_return absl::OkStatus();
    co_return co_await target->InterruptQuery(request.only_if);
  }
  if (request.ss_id) {
    co_return co_await target->TerminateServerSession(*request.ss_id, request.only_if);
  }
  // The caller's own session is ended by the caller after it replies 1317.
  if (checked.self) co_return absl::OkStatus();
  co_return co_await target->Terminate(EndOf(caller, request), request.only_if);
}

asio::awaitable<absl::StatusOr<KillResult>> KillService::Forward(
    std::shared_ptr<PeerForwarder> peers, const Caller& caller, const KillRequest& request) {
  uint32_t self = node_id_;
  if (request.id_kind != KillRequest::IdKind::kConnectionId && IsValidCsIdShape(request.id) &&
      NodeIdOfCsId(request.id) != self && peers->HasNode(NodeIdOfCsId(request.id))) {
    auto r = co_await peers->KillOnNode(NodeIdOfCsId(request.id), caller, request);
    if (!absl::IsNotFound(r.status())) co_return r;
  }
  if (request.id_kind == KillRequest::IdKind::kCsId) {
    co_return session::UnknownThreadId(request.id);
  }
  co_return co_await peers->KillByConnectionId(caller, request);
}

asio::awaitable<absl::StatusOr<KillResult>> KillService::Kill(Caller caller, KillRequest request) {
  absl::StatusOr<KillResult> result = Check(caller, request);
  std::shared_ptr<PeerForwarder> peers = request.allow_forward ? Peers() : nullptr;
  if (absl::IsNotFound(result.status()) && peers) {
    auto forwarded = co_await Forward(std::move(peers), caller, request);
    if (metrics_) {
      metrics_->CountForwardedKill(forwarded.ok() ? OutcomeOf(*forwarded)
                                                  : OutcomeOf(forwarded.status()));
    }
    // The local "unknown" stands unless a peer knew better.
    if (!absl::IsNotFound(forwarded.status())) result = std::move(forwarded);
  } else if (result.ok() && !request.dry_run && absl::Now() >= request.not_after) {
    // Checked last, right before acting: a caller that gave up is told (if it is
    // still there) and nothing happens.
    KillResult target = *result;
    result = absl::DeadlineExceededError(
        "the caller's deadline passed before the kill could start; nothing was done");
    Audit(caller, request, &target, "expired", result.status().message(),
          metrics::KillOutcome::kExpired);
    co_return result;
  } else if (result.ok() && !request.dry_run && !result->no_longer_matches) {
    absl::Status acted = co_await Act(caller, request, *result);
    if (session::IsNoLongerMatches(acted)) {
      result->no_longer_matches = true;
    } else if (!acted.ok() && request.mode == Mode::kQuery) {
      Audit(caller, request, &*result, "failed", acted.message(), metrics::KillOutcome::kFailed);
      co_return absl::AbortedError(acted.message());
    }
    if (!acted.ok()) result->unconfirmed = std::string(acted.message());
  }
  if (!result.ok()) {
    Audit(caller, request, nullptr, result.status().message(), "", OutcomeOf(result.status()));
  } else if (result->no_longer_matches) {
    Audit(caller, request, &*result, "no longer matches",
          "the session no longer matched the selector; nothing was done", OutcomeOf(*result));
  } else {
    Audit(caller, request, &*result, result->unconfirmed.empty() ? "ok" : "partial",
          result->unconfirmed, OutcomeOf(*result));
  }
  co_return result;
}

void KillService::AuditRefusal(const Caller& caller, const KillRequest& request,
                               const absl::Status& why, absl::string_view unauthenticated_from) {
  AuditRecord rec = Record(caller, request, nullptr, why.message(), "");
  // Every refusal counts, also the ones the limiter keeps out of the log.
  Count(caller, request, OutcomeOf(why));
  MutexLock lock(&audit_mu_);
  if (!unauthenticated_from.empty()) {
    RefusalLimiter::Verdict v = limiter_.Admit(unauthenticated_from, absl::Now());
    if (v.suppressed > 0) {
      AuditRecord summary;
      summary.node_id = rec.node_id;
      summary.actor = rec.actor;
      summary.result = "suppressed";
      summary.detail = absl::StrCat(v.suppressed, " refusals of calls without a valid token from ",
                                    unauthenticated_from, " were not logged (limit 10 a second)");
      WriteAuditLine(audit_log_, summary);
    }
    if (!v.write) return;
  }
  WriteAuditLine(audit_log_, rec);
}

AuditRecord KillService::Record(const Caller& caller, const KillRequest& request,
                                const KillResult* target, absl::string_view result,
                                absl::string_view detail) const {
  AuditRecord rec;
  rec.node_id = node_id_;
  rec.actor = caller.actor;
  rec.id = request.id;
  rec.ss_id = request.ss_id;
  rec.mode = request.mode == Mode::kQuery ? "QUERY" : "CONNECTION";
  rec.reason = request.reason;
  rec.dry_run = request.dry_run;
  if (target) {
    rec.cs_id = target->cs_id;
    rec.connection_ids = target->connection_ids;
  }
  rec.result = std::string(result);
  rec.detail = std::string(detail);
  return rec;
}

void KillService::Count(const Caller& caller, const KillRequest& request,
                        metrics::KillOutcome outcome) {
  if (!metrics_) return;
  metrics_->CountKill(caller.source,
                      request.mode == Mode::kQuery ? metrics::KillMode::kQuery
                                                   : metrics::KillMode::kConnection,
                      outcome);
}

void KillService::Audit(const Caller& caller, const KillRequest& request,
                        const KillResult* target, absl::string_view result,
                        absl::string_view detail, metrics::KillOutcome outcome) {
  Count(caller, request, outcome);
  AuditRecord rec = Record(caller, request, target, result, detail);
  MutexLock lock(&audit_mu_);
  WriteAuditLine(audit_log_, rec);
}

}  // namespace obp::control
