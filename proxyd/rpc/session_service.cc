#include "proxyd/rpc/session_service.h"

#include <asio/co_spawn.hpp>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/core/build_info.h"
#include "common/fleet_client/grpc_status.h"
#include "proxyd/admin/admin_handler.h"
#include "proxyd/kill/kill_service.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/session/client_session.h"

namespace obp::rpc {
namespace {
constexpr int kDefaultPageSize = 500;
constexpr int kMaxPageSize = 5000;

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(static_cast<int32_t>(absl::ToUnixNanos(t) % 1000000000));
  return ts;
}
google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d) % 1000000000));
  return out;
}
absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

void FillSession(const session::SessionInfo& i, uint32_t node_id, int pid, pb::Session* out) {
  absl::Time now = absl::Now();
  bool active = i.state == session::ClientState::kActiveReader;
  out->set_proxy_sessid(i.proxy_sessid);
  out->set_cs_id(i.cs_id);
  out->set_node_id(node_id);
  out->set_cluster(i.cluster);
  out->set_tenant(i.tenant);
  out->set_user(i.user);
  out->set_client_host(absl::StrCat(i.host_ip, ":", i.host_port));
  if (i.db) out->set_db(*i.db);
  out->set_trans_count(i.total_trans);
  out->set_server_session_count(static_cast<uint32_t>(i.servers.size()));
  out->set_state(static_cast<pb::ClientSessionState>(static_cast<int>(i.state) + 1));
  out->set_tid(i.tid);
  out->set_pid(pid);
  out->set_using_ssl(false);
  *out->mutable_created_at() = ToProto(i.created);
  *out->mutable_last_active_at() = ToProto(i.last_active);
  *out->mutable_idle() = ToProto(active ? absl::ZeroDuration() : now - i.last_active);
  out->set_current_command(i.current_command);
  if (active) {
    out->set_current_statement(i.current_statement);
    *out->mutable_statement_time() = ToProto(now - i.statement_start);
  }
  out->set_bytes_from_client(i.bytes_from_client);
  out->set_bytes_to_client(i.bytes_to_client);
  for (const auto& ss : i.servers) {
    pb::ServerSession* p = out->add_server_sessions();
    p->set_ss_id(ss.ss_id);
    p->set_backend(ss.backend);
    p->set_server_address(absl::StrCat(ss.server_ip, ":", ss.server_port));
    p->set_connection_id(ss.connection_id);
    p->set_state(static_cast<pb::ServerSessionState>(static_cast<int>(ss.state) + 1));
    p->set_transact_count(ss.transact_count);
    p->set_in_transaction(ss.in_transaction);
    p->set_in_use(ss.in_use);
  }
}

bool Matches(const pb::SessionFilter& f, const session::SessionInfo& i) {
  if (!f.user().empty() && f.user() != i.user) return false;
  if (!f.tenant().empty() && f.tenant() != i.tenant) return false;
  if (!f.db().empty() && (!i.db || *i.db != f.db())) return false;
  if (!f.client_host().empty()) {
    std::string host = absl::StrCat(i.host_ip, ":", i.host_port);
    const std::string& want = f.client_host();
    if (want.back() == '*') {
      if (!absl::StartsWith(host, absl::string_view(want).substr(0, want.size() - 1))) return false;
    } else if (host != want && i.host_ip != want) {
      return false;
    }
  }
  if (f.state() != pb::CLIENT_SESSION_STATE_UNSPECIFIED &&
      static_cast<int>(f.state()) != static_cast<int>(i.state) + 1) {
    return false;
  }
  if (f.has_idle_over()) {
    bool active = i.state == session::ClientState::kActiveReader;
    if (active || absl::Now() - i.last_active < FromProto(f.idle_over())) return false;
  }
  return true;
}

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const grpc::Status& s) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}

std::string TokenActor(const Identity& who) { return absl::StrCat("token:", who.name); }

kill::KillRequest RequestFromRef(const pb::SessionRef& ref) {
  kill::KillRequest req;
  req.backend = ref.backend();
  if (ref.target_case() == pb::SessionRef::kCsId) {
    req.id = ref.cs_id();
    req.id_kind = kill::KillRequest::IdKind::kCsId;
  } else {
    req.id = ref.connection_id();
    req.id_kind = kill::KillRequest::IdKind::kConnectionId;
  }
  return req;
}
}  // namespace

absl::StatusOr<std::optional<Identity>> SessionServiceImpl::Authenticate(
    const grpc::CallbackServerContext& context) const {
  if (!tokens_) return std::nullopt;
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
  std::optional<Identity> who = tokens_->Lookup(*token);
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

grpc::ServerUnaryReactor* SessionServiceImpl::ListSessions(grpc::CallbackServerContext* context,
                                                           const pb::ListSessionsRequest* request,
                                                           pb::ListSessionsResponse* response) {
  if (auto who = Authenticate(*context); !who.ok()) {
    return Finish(context, fleet::ToGrpcStatus(who.status()));
  }
  int page_size = request->page_size() <= 0 ? kDefaultPageSize
                                            : std::min(request->page_size(), kMaxPageSize);
  uint32_t after = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &after)) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page_token"));
  }
  std::vector<session::SessionInfo> infos;
  for (auto& s : ctx_->registry->All()) {
    if (s->cs_id() <= after) continue;
    session::SessionInfo info = s->Info();
    if (info.user.empty()) continue;  // still logging in
    if (Matches(request->filter(), info)) infos.push_back(std::move(info));
  }
  std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.cs_id < b.cs_id; });
  for (size_t i = 0; i < infos.size() && static_cast<int>(i) < page_size; ++i) {
    FillSession(infos[i], ctx_->config->node_id, ctx_->pid, response->add_sessions());
  }
  if (static_cast<int>(infos.size()) > page_size) {
    response->set_next_page_token(absl::StrCat(infos[page_size - 1].cs_id));
  }
  response->set_node_id(ctx_->config->node_id);
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetAttributes(grpc::CallbackServerContext* context,
                                                            const pb::GetAttributesRequest* request,
                                                            pb::GetAttributesResponse* response) {
  if (auto who = Authenticate(*context); !who.ok()) {
    return Finish(context, fleet::ToGrpcStatus(who.status()));
  }
  if (request->ref().target_case() == pb::SessionRef::TARGET_NOT_SET) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ref: cs_id or connection_id is required"));
  }
  kill::Caller operator_caller;
  operator_caller.admin = true;
  auto target = ctx_->kills->Resolve(operator_caller, RequestFromRef(request->ref()));
  if (!target.ok()) return Finish(context, fleet::ToGrpcStatus(target.status()));
  session::SessionInfo info = (*target)->Info();
  FillSession(info, ctx_->config->node_id, ctx_->pid, response->mutable_session());
  for (const auto& row : admin::VariableRows(info, request->all_variables())) {
    pb::Variable* v = response->add_variables();
    v->set_name(row[0].value_or(""));
    v->set_value(row[1].value_or(""));
    v->set_info(row[2].value_or(""));
    v->set_modified_type(row[3].value_or(""));
    v->set_sys_variable_flag(row[4].value_or(""));
  }
  response->set_node_id(ctx_->config->node_id);
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* SessionServiceImpl::KillSession(grpc::CallbackServerContext* context,
                                                          const pb::KillSessionRequest* request,
                                                          pb::KillSessionResponse* response) {
  if (request->ref().target_case() == pb::SessionRef::TARGET_NOT_SET) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ref: cs_id or connection_id is required"));
  }
  kill::KillRequest req = RequestFromRef(request->ref());
  if (request->has_ss_id()) req.ss_id = request->ss_id();
  req.mode = request->mode() == pb::KILL_MODE_QUERY ? kill::Mode::kQuery : kill::Mode::kConnection;
  req.reason = request->reason();
  req.dry_run = request->dry_run();
  auto token = Authenticate(*context);
  absl::Status allowed = token.ok() ? RequireOperator(*token, "KillSession") : token.status();
  if (!allowed.ok()) {
    // Refused kills are audited too (SPEC §6), with whoever the caller proved to be.
    std::string actor = token.ok() && *token
                            ? TokenActor(**token)
                            : absl::StrCat("grpc ", context->peer(), " (no valid token)");
    kill::Caller refused;
    refused.actor = std::move(actor);
    ctx_->kills->Audit(refused, req, allowed);
    return Finish(context, fleet::ToGrpcStatus(allowed));
  }
  kill::Caller caller;
  const pb::Caller& who = request->on_behalf_of();
  if (!who.user().empty()) {
    // A peer node forwarding a SQL KILL: the original caller's rights apply; the
    // token (an operator's, checked above) only says the peer may ask.
    caller.user = who.user();
    caller.tenant = who.tenant();
    caller.admin = who.admin();
    caller.actor = absl::StrCat(who.user(), "@", who.tenant(), " from ", who.client_host(),
                                " via node ", who.from_node());
    if (*token) absl::StrAppend(&caller.actor, " (", TokenActor(**token), ")");
  } else {
    caller.admin = true;
    caller.actor = *token ? TokenActor(**token) : absl::StrCat("grpc ", context->peer());
  }
  auto* reactor = context->DefaultReactor();
  uint32_t node_id = ctx_->config->node_id;
  asio::co_spawn(ctx_->io->Next(), ctx_->kills->Kill(caller, req),
                 [reactor, response, req, node_id](std::exception_ptr e,
                                                   absl::StatusOr<kill::KillResult> r) {
                   if (e) r = absl::InternalError("kill failed");
                   if (!r.ok()) {
                     reactor->Finish(fleet::ToGrpcStatus(r.status()));
                     return;
                   }
                   response->set_node_id(node_id);
                   response->set_cs_id(r->cs_id);
                   if (req.ss_id) response->set_ss_id(*req.ss_id);
                   for (const auto& ss : r->server_sessions) {
                     pb::KilledServerSession* k = response->add_server_sessions();
                     k->set_ss_id(ss.ss_id);
                     k->set_backend(ss.backend);
                     k->set_connection_id(ss.connection_id);
                     k->set_backend_kill(ss.backend_kill);
                   }
                   response->set_mode(req.mode == kill::Mode::kQuery ? pb::KILL_MODE_QUERY
                                                                     : pb::KILL_MODE_CONNECTION);
                   pb::KillOutcome outcome = r->dry_run          ? pb::KILL_OUTCOME_WOULD_KILL
                                             : r->nothing_running ? pb::KILL_OUTCOME_NOTHING_RUNNING
                                                                  : pb::KILL_OUTCOME_KILLED;
                   response->set_outcome(outcome);
                   response->set_message(absl::StrCat(
                       outcome == pb::KILL_OUTCOME_NOTHING_RUNNING ? "nothing running on"
                       : r->dry_run                                 ? "would kill"
                                                                    : "killed",
                       " cs_id ", r->cs_id, " on node ", node_id));
                   reactor->Finish(grpc::Status::OK);
                 });
  return reactor;
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetNodeInfo(grpc::CallbackServerContext* context,
                                                          const pb::GetNodeInfoRequest*,
                                                          pb::GetNodeInfoResponse* response) {
  if (auto who = Authenticate(*context); !who.ok()) {
    return Finish(context, fleet::ToGrpcStatus(who.status()));
  }
  const config::ProxyConfig& c = *ctx_->config;
  response->set_node_id(c.node_id);
  response->set_cluster(c.cluster);
  response->set_version(std::string(BuildVersion()));
  response->set_build_commit(std::string(BuildCommit()));
  *response->mutable_started_at() = ToProto(ctx_->started_at);
  response->set_sql_address(c.listen);
  response->set_grpc_address(ctx_->kills->rpc_address());
  response->set_session_count(static_cast<uint32_t>(ctx_->registry->size()));
  response->set_pid(ctx_->pid);
  absl::flat_hash_map<std::string, uint32_t> active;  // "tenant/backend" -> server sessions
  for (auto& s : ctx_->registry->All()) {
    session::SessionInfo info = s->Info();
    for (const auto& ss : info.servers) ++active[absl::StrCat(info.tenant, "/", ss.backend)];
  }
  for (const auto& t : c.tenants) {
    for (const auto& b : t.backends) {
      pb::Backend* pbb = response->add_backends();
      pbb->set_tenant(t.name);
      pbb->set_name(b.name);
      pbb->set_address(b.address);
      uint32_t n = active[absl::StrCat(t.name, "/", b.name)];
      pbb->set_active(n);
      pbb->set_pooled_idle(static_cast<uint32_t>(ctx_->PoolStatsFor(&b).idle));
      session::BackendHealth health = ctx_->Health(t.name, b.name);
      pbb->set_state(health.state == session::BackendHealth::kUp     ? pb::BACKEND_UP
                     : health.state == session::BackendHealth::kDown ? pb::BACKEND_DOWN
                                                                     : pb::BACKEND_UNKNOWN);
      pbb->set_last_error(health.last_error);
    }
  }
  return Finish(context, grpc::Status::OK);
}

}  // namespace obp::rpc
