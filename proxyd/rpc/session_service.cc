#include "proxyd/rpc/session_service.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/core/build_info.h"
#include "common/core/ids.h"
#include "common/core/tsan.h"
#include "common/fleet_client/grpc_status.h"
#include "proxyd/control/session_view.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/rpc/session_proto.h"

namespace obp::rpc {
namespace {

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const grpc::Status& s) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}
grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const absl::Status& s) {
  return Finish(context, fleet::ToGrpcStatus(s));
}

std::string TokenActor(const Identity& who) { return absl::StrCat("token:", who.name); }

// gRPC callers see every session of the node (the proto's visibility rule).
control::Caller Operator() {
  control::Caller c;
  c.admin = true;
  return c;
}

control::KillRequest RequestFromRef(const pb::SessionRef& ref) {
  control::KillRequest req;
  req.backend = ref.backend();
  if (ref.target_case() == pb::SessionRef::kCsId) {
    req.id = ref.cs_id();
    req.id_kind = control::KillRequest::IdKind::kCsId;
  } else {
    req.id = ref.connection_id();
    req.id_kind = control::KillRequest::IdKind::kConnectionId;
  }
  return req;
}

// The kill's identity: the forwarded SQL caller's rights when a peer sends one,
// else the token's (an operator sees and may kill every session).
control::Caller KillCaller(const pb::Caller& who, const std::optional<Identity>& token,
                           const std::string& grpc_peer) {
  control::Caller caller;
  if (who.user().empty()) {
    caller.admin = true;
    caller.actor = token ? TokenActor(*token) : absl::StrCat("grpc ", grpc_peer);
    caller.source = metrics::KillSource::kGrpc;
    return caller;
  }
  // A peer node forwarding a SQL KILL: the original caller's rights apply; the
  // token (an operator's, checked before) only says the peer may ask.
  caller.source = metrics::KillSource::kPeer;
  caller.user = who.user();
  caller.tenant = who.tenant();
  caller.admin = who.admin();
  caller.host = who.client_host();
  caller.actor = absl::StrCat(who.user(), "@", who.tenant(), " from ", who.client_host(),
                              " via node ", who.from_node());
  if (token) absl::StrAppend(&caller.actor, " (", TokenActor(*token), ")");
  return caller;
}

void FillKillResponse(const control::KillRequest& req, uint32_t node_id,
                      const control::KillResult& r, pb::KillSessionResponse* response) {
  response->set_node_id(node_id);
  response->set_cs_id(r.cs_id);
  if (req.ss_id) response->set_ss_id(*req.ss_id);
  for (const auto& ss : r.server_sessions) {
    pb::KilledServerSession* k = response->add_server_sessions();
    k->set_ss_id(ss.ss_id);
    k->set_backend(ss.backend);
    k->set_connection_id(ss.connection_id);
    k->set_backend_kill(ss.backend_kill);
  }
  response->set_mode(req.mode == control::Mode::kQuery ? pb::KILL_MODE_QUERY
                                                       : pb::KILL_MODE_CONNECTION);
  pb::KillOutcome outcome = r.no_longer_matches      ? pb::KILL_OUTCOME_NO_LONGER_MATCHES
                            : r.dry_run              ? pb::KILL_OUTCOME_WOULD_KILL
                            : r.nothing_running      ? pb::KILL_OUTCOME_NOTHING_RUNNING
                            : !r.unconfirmed.empty() ? pb::KILL_OUTCOME_PARTIAL
                                                     : pb::KILL_OUTCOME_KILLED;
  response->set_outcome(outcome);
  const char* what = outcome == pb::KILL_OUTCOME_NO_LONGER_MATCHES ? "left alone (no longer matches)"
                     : outcome == pb::KILL_OUTCOME_NOTHING_RUNNING ? "nothing running on"
                     : outcome == pb::KILL_OUTCOME_WOULD_KILL    ? "would kill"
                                                                 : "killed";
  response->set_message(absl::StrCat(what, " cs_id ", r.cs_id, " on node ", node_id));
  if (!r.unconfirmed.empty()) absl::StrAppend(response->mutable_message(), "; ", r.unconfirmed);
}

}  // namespace

SessionServiceImpl::CallSlot::CallSlot(SessionServiceImpl* service) : service_(service) {
  const int limit = service->max_calls_;
  counted_ = service->in_flight_.fetch_add(1, std::memory_order_relaxed) < limit;
  if (!counted_) service->in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

SessionServiceImpl::CallSlot::~CallSlot() {
  if (!service_) return;  // moved from
  if (counted_) service_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  HappensBefore(service_);
}

namespace {
grpc::Status Busy(int limit) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("this node already has ", limit,
                                   " gRPC calls in flight (grpc_max_concurrent_calls); retry"));
}

// The proto's page_size rule: 0 = the default, capped at the maximum, never negative.
absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  return requested == 0 ? kDefaultPageSize : std::min(requested, kMaxPageSize);
}
}  // namespace

void SessionServiceImpl::SetAddress(std::string address) {
  MutexLock lock(&address_mu_);
  address_ = std::move(address);
}

void SessionServiceImpl::SetTokens(std::shared_ptr<const TokenTable> tokens) {
  MutexLock lock(&tokens_mu_);
  tokens_.swap(tokens);  // the old table is released after the lock, with `tokens`
}

absl::StatusOr<std::optional<Identity>> SessionServiceImpl::Authenticate(
    const grpc::CallbackServerContext& context) const {
  std::shared_ptr<const TokenTable> tokens;
  {
    MutexLock lock(&tokens_mu_);
    tokens = tokens_;
  }
  if (!tokens) return std::nullopt;
  const auto& md = context.client_metadata();
  auto [first, last] = md.equal_range("authorization");
  if (first == last) {
    return absl::UnauthenticatedError(
        "missing bearer token: this node requires 'authorization: Bearer <token>' "
        "(obpctl --token, --token-file or OBPCTL_TOKEN)");
  }
  if (std::next(first) != last) {
    return absl::UnauthenticatedError("more than one authorization header");
  }
  auto token = BearerToken(absl::string_view(first->second.data(), first->second.size()));
  if (!token) {
    return absl::UnauthenticatedError("malformed authorization: expected 'Bearer <token>'");
  }
  std::optional<Identity> who = tokens->Lookup(*token);
  if (!who) {
    return absl::UnauthenticatedError("invalid bearer token: not in this node's tokens file");
  }
  return who;
}

absl::Status SessionServiceImpl::RequireOperator(const std::optional<Identity>& who,
                                                 absl::string_view rpc) {
  if (!who || who->role == Role::kOperator) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("token '", who->name, "' has role ",
                                                  RoleName(who->role), ": ", rpc,
                                                  " needs an operator token"));
}

absl::Status SessionServiceImpl::CheckRef(const pb::SessionRef& ref) const {
  switch (ref.target_case()) {
    case pb::SessionRef::TARGET_NOT_SET:
      return absl::InvalidArgumentError("ref: cs_id or connection_id is required");
    case pb::SessionRef::kConnectionId:
      return absl::OkStatus();
    case pb::SessionRef::kCsId:
      break;
  }
  if (!ref.backend().empty()) {
    return absl::InvalidArgumentError("ref.backend: only with connection_id, not with cs_id");
  }
  if (!IsValidCsIdShape(ref.cs_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ref.cs_id: ", ref.cs_id(), " is not a cs_id (0, bit 31 set, or sequence part 0)"));
  }
  const uint32_t owner = NodeIdOfCsId(ref.cs_id());
  if (owner != ctx_->node_id) {
    return absl::NotFoundError(absl::StrCat("Unknown thread id: ", ref.cs_id(),
                                            " (cs_id of node ", owner, "; this is node ",
                                            ctx_->node_id, ")"));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SessionServiceImpl::ListSessions(grpc::CallbackServerContext* context,
                                                           const pb::ListSessionsRequest* request,
                                                           pb::ListSessionsResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  if (auto who = Authenticate(*context); !who.ok()) return Finish(context, who.status());
  absl::StatusOr<int> page_size = PageSize(request->page_size());
  if (!page_size.ok()) return Finish(context, page_size.status());
  uint32_t after = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &after)) {
    return Finish(context, absl::InvalidArgumentError("page_token: not issued by this node"));
  }
  const absl::Time now = absl::Now();
  const pb::SessionFilter& filter = request->filter();
  // One more than a page tells whether another page follows.
  std::vector<session::SessionInfo> infos = control::ListVisible(
      *registry_, Operator(), after,
      [&](const session::SessionInfo& i) { return Matches(filter, i, now); },
      static_cast<size_t>(*page_size) + 1);
  for (size_t i = 0; i < infos.size() && static_cast<int>(i) < *page_size; ++i) {
    FillSession(control::ViewOf(infos[i], ctx_->node_id, ctx_->pid, now),
                response->add_sessions());
  }
  if (static_cast<int>(infos.size()) > *page_size) {
    response->set_next_page_token(absl::StrCat(infos[*page_size - 1].cs_id));
  }
  response->set_node_id(ctx_->node_id);
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::ListEndedSessions(
    grpc::CallbackServerContext* context, const pb::ListEndedSessionsRequest* request,
    pb::ListEndedSessionsResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  if (auto who = Authenticate(*context); !who.ok()) return Finish(context, who.status());
  absl::StatusOr<int> page_size = PageSize(request->page_size());
  if (!page_size.ok()) return Finish(context, page_size.status());
  absl::StatusOr<session::HistoryFilter> filter = HistoryFilterOf(request->filter());
  if (!filter.ok()) return Finish(context, filter.status());
  if (!request->page_token().empty() &&
      !absl::SimpleAtoi(request->page_token(), &filter->after_seq)) {
    return Finish(context, absl::InvalidArgumentError("page_token: not issued by this node"));
  }
  response->set_node_id(ctx_->node_id);
  if (!ctx_->history) return Finish(context, grpc::Status::OK);
  const session::HistoryPage page = ctx_->history->Find(*filter, static_cast<size_t>(*page_size));
  const std::string cluster = ctx_->Current()->config.cluster;
  for (const session::EndedSession& e : page.entries) {
    FillEnded(e, ctx_->node_id, cluster, response->add_sessions());
  }
  if (page.more) response->set_next_page_token(absl::StrCat(page.entries.back().seq));
  if (page.kept_since) *response->mutable_kept_since() = ToProto(*page.kept_since);
  response->set_forgotten(page.forgotten);
  response->set_history_size(static_cast<uint32_t>(page.capacity));
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetAttributes(grpc::CallbackServerContext* context,
                                                            const pb::GetAttributesRequest* request,
                                                            pb::GetAttributesResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  if (auto who = Authenticate(*context); !who.ok()) return Finish(context, who.status());
  if (absl::Status s = CheckRef(request->ref()); !s.ok()) return Finish(context, s);
  auto target = kills_->Resolve(RequestFromRef(request->ref()));
  if (!target.ok()) return Finish(context, target.status());
  session::SessionInfo info = (*target)->Info();
  FillSession(control::ViewOf(info, ctx_->node_id, ctx_->pid, absl::Now()),
              response->mutable_session());
  for (const auto& v : control::VariablesOf(info, request->all_variables())) {
    FillVariable(v, response->add_variables());
  }
  response->set_node_id(ctx_->node_id);
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::KillSession(grpc::CallbackServerContext* context,
                                                          const pb::KillSessionRequest* request,
                                                          pb::KillSessionResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  control::KillRequest req = RequestFromRef(request->ref());
  if (request->has_ss_id()) req.ss_id = request->ss_id();
  req.mode = request->mode() == pb::KILL_MODE_QUERY ? control::Mode::kQuery
                                                    : control::Mode::kConnection;
  req.reason = request->reason().substr(0, kMaxReasonBytes);
  req.dry_run = request->dry_run();
  if (request->has_only_if()) {
    // Checked on the target's own thread right before the kill (SPEC §9).
    req.only_if = [filter = request->only_if()](const session::SessionInfo& info) {
      return Matches(filter, info, absl::Now());
    };
  }
  if (request->has_not_after()) {
    req.not_after = absl::FromUnixSeconds(request->not_after().seconds()) +
                    absl::Nanoseconds(request->not_after().nanos());
  }
  auto token = Authenticate(*context);
  absl::Status allowed = token.ok() ? RequireOperator(*token, "KillSession") : token.status();
  if (allowed.ok()) allowed = CheckRef(request->ref());
  if (allowed.ok() && request->has_ss_id() && req.mode == control::Mode::kQuery) {
    allowed = absl::InvalidArgumentError("ss_id: not allowed with mode QUERY");
  }
  if (allowed.ok() && request->reason().size() > kMaxReasonBytes) {
    allowed = absl::InvalidArgumentError(
        absl::StrCat("reason: at most ", kMaxReasonBytes, " bytes"));
  }
  if (!allowed.ok()) {
    // Refused kills are audited too (SPEC §6), with whoever the caller proved to be.
    control::Caller refused;
    refused.source = metrics::KillSource::kGrpc;
    refused.actor = token.ok() && *token ? TokenActor(**token)
                                         : absl::StrCat("grpc ", context->peer(),
                                                        token.ok() ? "" : " (no valid token)");
    kills_->AuditRefusal(refused, req, allowed,
                         token.ok() ? "" : control::PeerAddress(context->peer()));
    return Finish(context, allowed);
  }
  control::Caller caller = KillCaller(request->on_behalf_of(), *token, context->peer());
  auto* reactor = context->DefaultReactor();
  const uint32_t node_id = ctx_->node_id;
  asio::co_spawn(ctx_->io->Next(), kills_->Kill(std::move(caller), req),
                 [reactor, response, req, node_id, slot = std::move(slot)](
                     std::exception_ptr e, absl::StatusOr<control::KillResult> r) {
                   // Runs on an io thread; gRPC frees the status and response written
                   // here on its own threads, after a hand-off TSan cannot see (Debian's
                   // gRPC is uninstrumented). What this thread writes is not recorded;
                   // a no-op without TSan (common/core/tsan.h).
                   TsanIgnoreAccesses ignore_grpc_handoff;
                   if (e) r = absl::InternalError("kill failed");
                   if (!r.ok()) {
                     reactor->Finish(fleet::ToGrpcStatus(r.status()));
                     return;
                   }
                   FillKillResponse(req, node_id, *r, response);
                   reactor->Finish(grpc::Status::OK);
                 });
  return reactor;
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetNodeInfo(grpc::CallbackServerContext* context,
                                                          const pb::GetNodeInfoRequest*,
                                                          pb::GetNodeInfoResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  if (auto who = Authenticate(*context); !who.ok()) return Finish(context, who.status());
  const std::shared_ptr<const session::RuntimeConfig> current = ctx_->Current();
  const config::ProxyConfig& c = current->config;
  response->set_node_id(c.node_id);
  response->set_cluster(c.cluster);
  response->set_version(std::string(BuildVersion()));
  response->set_build_commit(std::string(BuildCommit()));
  *response->mutable_started_at() = ToProto(ctx_->started_at);
  response->set_sql_address(c.listen);
  {
    MutexLock lock(&address_mu_);
    response->set_grpc_address(address_);
  }
  response->set_session_count(static_cast<uint32_t>(registry_->size()));
  response->set_draining(ctx_->draining.load(std::memory_order_relaxed));
  response->set_pid(ctx_->pid);
  absl::flat_hash_map<std::string, uint32_t> active;  // "tenant/backend" -> server sessions
  for (const auto& h : registry_->All()) {
    session::SessionInfo info = h->Info();
    for (const auto& ss : info.servers) ++active[absl::StrCat(info.tenant, "/", ss.backend)];
  }
  for (const auto& t : c.tenants) {
    for (const auto& b : t.backends) {
      pb::Backend* pbb = response->add_backends();
      pbb->set_tenant(t.name);
      pbb->set_name(b.name);
      pbb->set_address(b.address);
      pbb->set_active(active[absl::StrCat(t.name, "/", b.name)]);
      pbb->set_pooled_idle(static_cast<uint32_t>(ctx_->PoolStatsFor(t.name, b).idle));
      session::BackendHealth health = ctx_->Health(t.name, b.name);
      pbb->set_state(health.state == session::BackendHealth::kUp     ? pb::BACKEND_UP
                     : health.state == session::BackendHealth::kDown ? pb::BACKEND_DOWN
                                                                     : pb::BACKEND_UNKNOWN);
      pbb->set_last_error(health.last_error);
    }
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::Drain(grpc::CallbackServerContext* context,
                                                    const pb::DrainRequest* request,
                                                    pb::DrainResponse* response) {
  CallSlot slot(this);
  if (!slot) return Finish(context, Busy(max_calls_));
  auto token = Authenticate(*context);
  absl::Status allowed = token.ok() ? RequireOperator(*token, "Drain") : token.status();
  absl::Duration timeout = absl::Seconds(ctx_->Current()->config.drain_timeout_s);
  if (allowed.ok() && request->has_timeout()) {
    const absl::Duration asked = absl::Seconds(request->timeout().seconds()) +
                                 absl::Nanoseconds(request->timeout().nanos());
    if (asked < absl::ZeroDuration() || asked > kMaxDrainTimeout) {
      allowed = absl::InvalidArgumentError("timeout: from 0 to 3600 s");
    } else if (asked > absl::ZeroDuration()) {
      timeout = asked;
    }
  }
  if (!allowed.ok()) return Finish(context, allowed);
  spdlog::info("drain requested over gRPC by {}",
               *token ? TokenActor(**token) : absl::StrCat("grpc ", context->peer()));
  auto* reactor = context->DefaultReactor();
  const uint32_t node_id = ctx_->node_id;
  // The slot moves into the callback: the call counts as in flight until it answers.
  auto held = std::make_shared<CallSlot>(std::move(slot));
  drainer_->Drain(timeout, [reactor, response, node_id, held](
                               const control::DrainOutcome& o) {
    if (o.aborted) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the node stopped before the drain finished"));
      return;
    }
    response->set_node_id(node_id);
    response->set_sessions_at_start(o.sessions_at_start);
    response->set_ended(o.ended);
    response->set_killed(o.killed);
    response->set_unconfirmed(o.unconfirmed);
    *response->mutable_took() = ToProto(o.took);
    response->set_joined(o.joined);
    response->set_message(absl::StrCat(
        "node ", node_id, " drained", o.joined ? " (joined a drain already started)" : "",
        ": ", o.ended, " session(s) ended by themselves, ", o.killed, " killed",
        o.unconfirmed > 0 ? absl::StrCat(" (", o.unconfirmed, " backend KILL not confirmed)")
                          : ""));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace obp::rpc
