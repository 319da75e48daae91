#include "tests/tools/fake_node/fake_node.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace obp::testing {

using google::protobuf::util::TimeUtil;

pb::Session MakeSession(uint32_t node_id, uint32_t seq, const std::string& user,
                        const std::string& tenant, std::vector<uint64_t> conn_ids) {
  static const char* kBackends[] = {"primary", "replica1", "replica2", "replica3"};
  pb::Session s;
  s.set_cs_id((node_id << 18) | seq);
  s.set_proxy_sessid((uint64_t{node_id} << 50) | seq);
  s.set_node_id(node_id);
  s.set_cluster("test");
  s.set_tenant(tenant);
  s.set_user(user);
  s.set_client_host(absl::StrCat("127.0.0.1:", 40000 + seq));
  s.set_state(pb::MCS_KEEP_ALIVE);
  s.set_pid(4242);
  s.set_tid(4243);
  *s.mutable_idle() = TimeUtil::SecondsToDuration(60 * seq + 12);
  *s.mutable_created_at() = TimeUtil::SecondsToTimestamp(1700000000);
  s.set_current_command("COM_QUERY");
  s.set_current_statement("SELECT 1");
  for (size_t i = 0; i < conn_ids.size() && i < 4; ++i) {
    auto* ss = s.add_server_sessions();
    ss->set_ss_id(seq * 10 + i + 1);
    ss->set_backend(kBackends[i]);
    ss->set_server_address(absl::StrCat("127.0.0.1:", 3306 + i));
    ss->set_connection_id(conn_ids[i]);
    ss->set_state(pb::MSS_KA_CLIENT_SLAVE);
    ss->set_in_use(i == 0);
  }
  s.set_server_session_count(s.server_sessions_size());
  return s;
}

pb::EndedSession MakeEnded(uint32_t node_id, uint32_t seq, const std::string& user,
                           absl::Time ended_at, const std::string& reason,
                           const std::string& detail) {
  pb::EndedSession e;
  e.set_cs_id((node_id << 18) | seq);
  e.set_proxy_sessid((uint64_t{node_id} << 50) | seq);
  e.set_node_id(node_id);
  e.set_cluster("test");
  e.set_tenant("sys");
  e.set_user(user);
  e.set_client_host(absl::StrCat("127.0.0.1:", 40000 + seq));
  *e.mutable_created_at() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(ended_at - absl::Minutes(1)));
  *e.mutable_ended_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(ended_at));
  e.set_statements(3);
  e.set_last_statement("SELECT 1");
  e.set_reason(reason);
  e.set_detail(detail);
  return e;
}

namespace {

// SQL LIKE, case-insensitive: '%' any run, '_' one byte, a backslash escapes. The
// classic two-cursor walk that backs up to the last '%'; linear in practice.
bool Like(const std::string& text, const std::string& pattern) {
  struct Token {
    char c;
    bool one, any;
  };
  std::vector<Token> p;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      p.push_back({pattern[++i], false, false});
    } else {
      p.push_back({pattern[i], pattern[i] == '_', pattern[i] == '%'});
    }
  }
  auto same = [](char a, char b) { return absl::ascii_tolower(a) == absl::ascii_tolower(b); };
  size_t t = 0, k = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (k < p.size() && !p[k].any && (p[k].one || same(p[k].c, text[t]))) {
      ++t, ++k;
    } else if (k < p.size() && p[k].any) {
      star = k++, resume = t;
    } else if (star != std::string::npos) {
      k = star + 1, t = ++resume;
    } else {
      return false;
    }
  }
  while (k < p.size() && p[k].any) ++k;
  return k == p.size();
}

// "COM_QUERY" or SHOW PROXYSESSION's "Query", any case.
bool CommandMatches(const std::string& command, const std::string& want) {
  if (want.empty()) return true;
  const std::string a = absl::AsciiStrToUpper(command), b = absl::AsciiStrToUpper(want);
  return a == b || a == "COM_" + b;
}

bool StatementSelectorsMatch(const pb::Session& s, const pb::SessionFilter& f) {
  const bool any = (f.has_running_over() && f.running_over() > google::protobuf::Duration()) ||
                   !f.statement().empty() || !f.command().empty();
  if (!any) return true;
  if (s.state() != pb::MCS_ACTIVE_READER) return false;
  if (f.has_running_over() && s.statement_time() < f.running_over()) return false;
  if (!f.statement().empty() && !Like(s.current_statement(), f.statement())) return false;
  return CommandMatches(s.current_command(), f.command());
}

bool HostMatches(const std::string& host, const std::string& want) {
  if (want.empty() || host == want) return true;
  if (absl::EndsWith(want, "*")) return absl::StartsWith(host, want.substr(0, want.size() - 1));
  return absl::StartsWith(host, want + ":");
}

bool Matches(const pb::Session& s, const pb::SessionFilter& f) {
  if (!f.user().empty() && s.user() != f.user()) return false;
  if (!f.tenant().empty() && s.tenant() != f.tenant()) return false;
  if (!f.db().empty() && (!s.has_db() || s.db() != f.db())) return false;
  if (f.state() != pb::CLIENT_SESSION_STATE_UNSPECIFIED && s.state() != f.state()) return false;
  if (f.has_idle_over() && s.idle() < f.idle_over()) return false;
  if (!StatementSelectorsMatch(s, f)) return false;
  return HostMatches(s.client_host(), f.client_host());
}

bool EndedMatches(const pb::EndedSession& e, const pb::EndedSessionFilter& f) {
  if (!f.user().empty() && e.user() != f.user()) return false;
  if (!f.tenant().empty() && e.tenant() != f.tenant()) return false;
  if (!f.reason().empty() && e.reason() != f.reason()) return false;
  if (f.cs_id() != 0 && e.cs_id() != f.cs_id()) return false;
  if (f.has_since() && e.ended_at() < f.since()) return false;
  return HostMatches(e.client_host(), f.client_host());
}

constexpr const char* kReasons[] = {"client_quit",  "client_gone",   "killed",
                                    "backend_lost", "idle_timeout",  "login_timeout",
                                    "login_failed", "drain",         "error"};

}  // namespace

class FakeNode::Service final : public pb::SessionService::Service {
 public:
  explicit Service(FakeNodeConfig config) : config_(std::move(config)) {
    std::sort(config_.sessions.begin(), config_.sessions.end(),
              [](const auto& a, const auto& b) { return a.cs_id() < b.cs_id(); });
    std::stable_sort(config_.ended.begin(), config_.ended.end(),
                     [](const auto& a, const auto& b) { return a.ended_at() < b.ended_at(); });
  }

  void Stop() {
    obp::MutexLock lock(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  std::string last_authorization() const {
    obp::MutexLock lock(&mu_);
    return last_authorization_;
  }
  std::vector<pb::KillSessionRequest> kills() const {
    obp::MutexLock lock(&mu_);
    return kills_;
  }

  grpc::Status ListSessions(grpc::ServerContext* ctx, const pb::ListSessionsRequest* req,
                            pb::ListSessionsResponse* resp) override {
    if (auto s = Enter(ctx, false); !s.ok()) return s;
    uint32_t after = 0;
    if (!req->page_token().empty() && !absl::SimpleAtoi(req->page_token(), &after)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page_token");
    }
    obp::MutexLock lock(&mu_);
    const int page = req->page_size() > 0 ? req->page_size() : config_.default_page_size;
    resp->set_node_id(config_.node_id);
    for (const auto& s : config_.sessions) {
      if (s.cs_id() <= after || !Matches(s, req->filter())) continue;
      if (resp->sessions_size() == page) {
        resp->set_next_page_token(std::to_string(resp->sessions().rbegin()->cs_id()));
        break;
      }
      *resp->add_sessions() = s;
    }
    return grpc::Status::OK;
  }

  // Pages by position in the history (the token is the next index).
  grpc::Status ListEndedSessions(grpc::ServerContext* ctx,
                                 const pb::ListEndedSessionsRequest* req,
                                 pb::ListEndedSessionsResponse* resp) override {
    if (auto s = Enter(ctx, false); !s.ok()) return s;
    const std::string& reason = req->filter().reason();
    if (!reason.empty() && std::find(std::begin(kReasons), std::end(kReasons), reason) ==
                               std::end(kReasons)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "filter.reason: unknown reason");
    }
    size_t next = 0;
    if (!req->page_token().empty() && !absl::SimpleAtoi(req->page_token(), &next)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page_token");
    }
    obp::MutexLock lock(&mu_);
    const int page = req->page_size() > 0 ? req->page_size() : config_.default_page_size;
    resp->set_node_id(config_.node_id);
    resp->set_forgotten(config_.forgotten);
    resp->set_history_size(config_.history_size);
    if (!config_.ended.empty()) *resp->mutable_kept_since() = config_.ended.front().ended_at();
    for (size_t i = next; i < config_.ended.size(); ++i) {
      if (!EndedMatches(config_.ended[i], req->filter())) continue;
      if (resp->sessions_size() == page) {
        resp->set_next_page_token(std::to_string(i));
        break;
      }
      *resp->add_sessions() = config_.ended[i];
    }
    return grpc::Status::OK;
  }

  grpc::Status GetAttributes(grpc::ServerContext* ctx, const pb::GetAttributesRequest* req,
                             pb::GetAttributesResponse* resp) override {
    if (auto s = Enter(ctx, false); !s.ok()) return s;
    obp::MutexLock lock(&mu_);
    const pb::Session* found = nullptr;
    if (auto s = Find(req->ref(), &found); !s.ok()) return s;
    *resp->mutable_session() = *found;
    resp->set_node_id(config_.node_id);
    auto* v = resp->add_variables();
    v->set_name("autocommit");
    v->set_value("1");
    v->set_info("sys variable");
    v->set_modified_type("default value");
    return grpc::Status::OK;
  }

  grpc::Status KillSession(grpc::ServerContext* ctx, const pb::KillSessionRequest* req,
                           pb::KillSessionResponse* resp) override {
    if (auto s = Enter(ctx, true); !s.ok()) return s;
    obp::MutexLock lock(&mu_);
    kills_.push_back(*req);
    const pb::Session* found = nullptr;
    if (auto s = Find(req->ref(), &found); !s.ok()) return s;
    resp->set_node_id(config_.node_id);
    resp->set_cs_id(found->cs_id());
    resp->set_mode(req->mode() == pb::KILL_MODE_QUERY ? pb::KILL_MODE_QUERY
                                                      : pb::KILL_MODE_CONNECTION);
    if (req->has_only_if() && !Matches(Finishing(*found), req->only_if())) {
      resp->set_outcome(pb::KILL_OUTCOME_NO_LONGER_MATCHES);
      resp->set_message("no longer matches");
      return grpc::Status::OK;
    }
    for (const auto& ss : found->server_sessions()) {
      if (req->has_ss_id() && ss.ss_id() != req->ss_id()) continue;
      auto* k = resp->add_server_sessions();
      k->set_ss_id(ss.ss_id());
      k->set_backend(ss.backend());
      k->set_connection_id(ss.connection_id());
    }
    if (req->has_ss_id()) {
      if (resp->server_sessions_size() == 0) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("Unknown thread id: ", req->ss_id()));
      }
      resp->set_ss_id(req->ss_id());
    }
    resp->set_outcome(req->dry_run() ? pb::KILL_OUTCOME_WOULD_KILL : pb::KILL_OUTCOME_KILLED);
    resp->set_message(req->dry_run() ? "would kill" : "killed");
    if (!req->dry_run() && !req->has_ss_id() && req->mode() != pb::KILL_MODE_QUERY) {
      const uint32_t id = found->cs_id();
      std::erase_if(config_.sessions, [id](const auto& s) { return s.cs_id() == id; });
    }
    return grpc::Status::OK;
  }

  grpc::Status GetNodeInfo(grpc::ServerContext* ctx, const pb::GetNodeInfoRequest*,
                           pb::GetNodeInfoResponse* resp) override {
    if (auto s = Enter(ctx, false); !s.ok()) return s;
    obp::MutexLock lock(&mu_);
    resp->set_node_id(config_.node_id);
    resp->set_cluster("test");
    resp->set_version("fake-0.1");
    *resp->mutable_started_at() = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(3725);
    resp->set_session_count(config_.sessions.size());
    resp->set_pid(4242);
    return grpc::Status::OK;
  }

 private:
  // Records the token, applies the hang, then the token rules.
  grpc::Status Enter(grpc::ServerContext* ctx, bool is_kill) {
    std::string auth;
    auto it = ctx->client_metadata().find("authorization");
    if (it != ctx->client_metadata().end()) auth.assign(it->second.data(), it->second.size());
    obp::MutexLock lock(&mu_);
    last_authorization_ = auth;
    if (config_.hang) {
      // Play dead: give up only when the caller does or the node stops.
      while (!stopping_ && !ctx->IsCancelled()) {
        stop_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(20));
      }
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake node stopping");
    }
    if (config_.tokens.empty()) return grpc::Status::OK;
    const std::string prefix = "Bearer ";
    auto role = absl::StartsWith(auth, prefix) ? config_.tokens.find(auth.substr(prefix.size()))
                                               : config_.tokens.end();
    if (role == config_.tokens.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or unknown token");
    }
    if (is_kill && role->second != "operator") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token role viewer may not kill");
    }
    return grpc::Status::OK;
  }

  // The session as a kill sees it: a cs_id in finish_before_kill has just
  // finished its statement (the race only_if guards against).
  pb::Session Finishing(const pb::Session& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    pb::Session out = s;
    const auto& ids = config_.finish_before_kill;
    if (std::find(ids.begin(), ids.end(), s.cs_id()) != ids.end()) {
      out.set_state(pb::MCS_KEEP_ALIVE);
      out.clear_statement_time();
    }
    return out;
  }

  grpc::Status Find(const pb::SessionRef& ref, const pb::Session** out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (ref.target_case() == pb::SessionRef::kCsId) {
      for (const auto& s : config_.sessions) {
        if (s.cs_id() == ref.cs_id()) return *out = &s, grpc::Status::OK;
      }
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Unknown thread id: ", ref.cs_id()));
    }
    if (ref.target_case() != pb::SessionRef::kConnectionId) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ref: no cs_id or connection_id");
    }
    std::vector<std::string> candidates;
    for (const auto& s : config_.sessions) {
      for (const auto& ss : s.server_sessions()) {
        if (ss.connection_id() != ref.connection_id()) continue;
        if (!ref.backend().empty() && ss.backend() != ref.backend()) continue;
        *out = &s;
        candidates.push_back(absl::StrCat("cs_id ", s.cs_id(), " on backend ", ss.backend()));
      }
    }
    if (candidates.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Unknown thread id: ", ref.connection_id()));
    }
    if (candidates.size() > 1) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("Ambiguous connection id ", ref.connection_id(),
                                       ": matches ", absl::StrJoin(candidates, ", ")));
    }
    return grpc::Status::OK;
  }

  mutable obp::Mutex mu_;
  FakeNodeConfig config_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  obp::CondVar stop_cv_;  // signalled when stopping_ becomes true
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
  std::vector<pb::KillSessionRequest> kills_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<FakeNode>> FakeNode::Start(FakeNodeConfig config) {
  std::unique_ptr<FakeNode> node(new FakeNode);
  const std::string listen = config.listen;
  node->service_ = std::make_unique<Service>(std::move(config));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &node->port_);
  builder.RegisterService(node->service_.get());
  node->server_ = builder.BuildAndStart();
  if (!node->server_ || node->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("fake node cannot listen on ", listen));
  }
  return node;
}

FakeNode::~FakeNode() { Stop(); }

void FakeNode::Stop() {
  if (!server_) return;
  service_->Stop();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
}

std::string FakeNode::last_authorization() const { return service_->last_authorization(); }

std::vector<pb::KillSessionRequest> FakeNode::kills() const { return service_->kills(); }

}  // namespace obp::testing
