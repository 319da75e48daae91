#include "proxyd/control/peer_forwarder.h"

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/core/fleet.h"
#include "common/core/toml_util.h"

namespace obp::control {
namespace {
namespace pb = obproxy::fleet::v1;

// Awaits a FleetClient callback: `start(cb)` begins the call; the coroutine
// resumes on its own executor with what `cb` received.
template <class T, class Start>
asio::awaitable<T> AwaitCallback(Start start) {
  auto initiate = [start](auto handler) mutable {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    start([shared](T result) {
      auto ex = asio::get_associated_executor(*shared);
      asio::post(ex, [shared, r = std::move(result)]() mutable { (*shared)(std::move(r)); });
    });
  };
  T result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      std::move(initiate), asio::use_awaitable);
  co_return result;
}

// How long after sending a forwarded kill the peer may still start it. The peer
// compares not_after with its own clock: the fleet's clocks must agree to well
// within this (NTP does).
constexpr absl::Duration kActWindow = absl::Milliseconds(1500);
constexpr absl::Duration kMargin = absl::Milliseconds(500);

bool IsUnreachable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsCancelled(s);
}

// The operator token this node shows its peers (SPEC §6), from peer_token_file.
absl::StatusOr<std::string> ReadPeerToken(const std::string& path) {
  auto text = ReadTextFile(path, "peer_token_file");
  if (!text.ok()) return text.status();
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": peer_token_file: empty"));
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": peer_token_file: one token, printable characters without spaces"));
    }
  }
  return token;
}

// Client side of the fleet's gRPC security: the token, and the node's own
// [grpc_tls] files (its CA to verify peers, its certificate for peers that
// require one).
absl::StatusOr<fleet::ClientOptions> PeerClientOptions(const config::ProxyConfig& config) {
  fleet::ClientOptions opts;
  // Room for a peer that starts acting just before not_after to finish, its
  // backend KILL included, before we stop waiting (see Send).
  opts.timeout = kActWindow + absl::Milliseconds(config.backend_kill_timeout_ms) + kMargin;
  if (!config.peer_token_file.empty()) {
    auto token = ReadPeerToken(config.peer_token_file);
    if (!token.ok()) return token.status();
    opts.token = *std::move(token);
  }
  const config::TlsConfig& tls = config.grpc_tls;
  if (tls.enabled()) {
    opts.tls = true;
    opts.ca_file = tls.ca_file;
    opts.cert_file = tls.cert_file;
    opts.key_file = tls.key_file;
  }
  return opts;
}
}  // namespace

absl::StatusOr<std::unique_ptr<PeerForwarder>> PeerForwarder::Create(
    const config::ProxyConfig& config) {
  // Checked even without peers, so a bad peer_token_file is found at the first start.
  auto opts = PeerClientOptions(config);
  if (!opts.ok()) return opts.status();
  if (config.fleet_file.empty()) return nullptr;
  auto nodes = LoadFleetFile(config.fleet_file);
  if (!nodes.ok()) return nodes.status();
  std::vector<fleet::NodeTarget> peers;
  for (const auto& n : *nodes) {
    if (n.id != config.node_id) peers.push_back(fleet::NodeTarget{n.id, n.grpc});
  }
  if (peers.empty()) return nullptr;
  const bool has_token = !opts->token.empty();
  if (!has_token && !config.tokens_file.empty()) {
    spdlog::warn("tokens_file is set but peer_token_file is not: cross-node KILL to peers "
                 "that require tokens will be refused");
  }
  auto client = fleet::FleetClient::Create(std::move(peers), *std::move(opts));
  if (!client.ok()) return client.status();
  return std::unique_ptr<PeerForwarder>(
      new PeerForwarder(config.node_id, has_token, *std::move(client)));
}

bool PeerForwarder::HasNode(uint32_t node_id) const {
  return client_->FindNode(node_id).has_value();
}

absl::Status PeerForwarder::PeerFailure(size_t index, const absl::Status& why) const {
  fleet::NodeTarget node = client_->nodes()[index];
  if (IsUnreachable(why)) {
    return absl::UnavailableError(
        absl::StrCat("Node ", node.id, " (", node.address, ") unreachable: ", why.message()));
  }
  if (absl::IsUnauthenticated(why)) {
    // The peer wants a token we lack (or do not know): a refusal, not an outage.
    return absl::PermissionDeniedError(absl::StrCat(
        "Node ", node.id, " (", node.address, ") refused the forwarded kill: ", why.message(),
        has_token_ ? "" : " (this node has no peer_token_file)"));
  }
  return why;  // NOT_FOUND / PERMISSION_DENIED / ... with the peer's message
}

asio::awaitable<absl::StatusOr<KillResult>> PeerForwarder::Send(size_t index, const Caller& caller,
                                                                const KillRequest& kill,
                                                                pb::KillSessionRequest request) {
  if (kill.ss_id) request.set_ss_id(*kill.ss_id);
  request.set_mode(kill.mode == Mode::kQuery ? pb::KILL_MODE_QUERY : pb::KILL_MODE_CONNECTION);
  request.set_reason(kill.reason);
  request.set_dry_run(kill.dry_run);
  // The peer acts only until then; we wait longer than that (PeerClientOptions),
  // so a kill we report as unreachable can't happen afterwards.
  const absl::Time not_after = absl::Now() + kActWindow;
  request.mutable_not_after()->set_seconds(absl::ToUnixSeconds(not_after));
  request.mutable_not_after()->set_nanos(
      static_cast<int32_t>(absl::ToUnixNanos(not_after) % 1000000000));
  pb::Caller* who = request.mutable_on_behalf_of();
  who->set_user(caller.user);
  who->set_tenant(caller.tenant);
  who->set_admin(caller.admin);
  who->set_from_node(self_);
  who->set_cs_id(caller.cs_id);
  who->set_client_host(caller.host);
  // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
  auto* client = client_.get();
  auto shared = std::make_shared<pb::KillSessionRequest>(std::move(request));
  auto start = [client, index, shared](auto cb) { client->KillSession(index, *shared, cb); };
  auto r = co_await AwaitCallback<absl::StatusOr<pb::KillSessionResponse>>(std::move(start));
  if (!r.ok()) co_return PeerFailure(index, r.status());
  KillResult out;
  out.node_id = r->node_id();
  out.cs_id = r->cs_id();
  if (r->has_ss_id()) out.ss_id = static_cast<uint32_t>(r->ss_id());
  for (const auto& ss : r->server_sessions()) {
    out.connection_ids.push_back(static_cast<uint32_t>(ss.connection_id()));
    out.server_sessions.push_back(KilledServerSession{static_cast<uint32_t>(ss.ss_id()), ss.backend(),
                                                      static_cast<uint32_t>(ss.connection_id()),
                                                      ss.backend_kill()});
  }
  out.nothing_running = r->outcome() == pb::KILL_OUTCOME_NOTHING_RUNNING;
  if (r->outcome() == pb::KILL_OUTCOME_PARTIAL) {
    // The peer's message is "killed cs_id N on node M; <what was not confirmed>".
    const std::string& m = r->message();
    size_t cut = m.find("; ");
    out.unconfirmed = cut == std::string::npos ? m : m.substr(cut + 2);
  }
  out.dry_run = kill.dry_run;
  co_return out;
}

asio::awaitable<absl::StatusOr<KillResult>> PeerForwarder::KillOnNode(uint32_t node_id,
                                                                      const Caller& caller,
                                                                      const KillRequest& kill) {
  auto index = client_->FindNode(node_id);
  if (!index) co_return session::UnknownThreadId(kill.id);
  pb::KillSessionRequest request;
  request.mutable_ref()->set_cs_id(static_cast<uint32_t>(kill.id));
  co_return co_await Send(*index, caller, kill, std::move(request));
}

asio::awaitable<absl::StatusOr<KillResult>> PeerForwarder::KillByConnectionId(
    const Caller& caller, const KillRequest& kill) {
  auto* client = client_.get();
  uint64_t id = kill.id;
  std::string backend = kill.backend;
  auto start = [client, id, backend](auto cb) { client->ResolveConnectionId(id, backend, cb); };
  fleet::ResolveResult resolved = co_await AwaitCallback<fleet::ResolveResult>(std::move(start));
  auto match = resolved.Unique(id);
  if (!match.ok()) {
    if (absl::IsNotFound(match.status())) {
      co_return session::UnknownThreadId(id);
    }
    if (IsUnreachable(match.status()) || absl::IsUnauthenticated(match.status())) {
      for (size_t i = 0; i < client->nodes().size(); ++i) {
        for (const auto& [node, status] : resolved.errors) {
          if (node.address == client->nodes()[i].address) co_return PeerFailure(i, status);
        }
      }
    }
    co_return match.status();
  }
  auto index = client->FindNode(match->node.id);
  if (!index) co_return session::UnknownThreadId(id);
  pb::KillSessionRequest request;
  request.mutable_ref()->set_connection_id(id);
  request.mutable_ref()->set_backend(match->backend);
  co_return co_await Send(*index, caller, kill, std::move(request));
}

}  // namespace obp::control
