#include "proxyd/server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "proxyd/admin/admin_service.h"
#include "proxyd/control/drainer.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/peer_forwarder.h"
#include "proxyd/control/registry.h"
#include "proxyd/log_file.h"
#include "proxyd/metrics/endpoint.h"
#include "proxyd/metrics/metrics.h"
#include "proxyd/net/io_pool.h"
#include "proxyd/net/listener.h"
#include "proxyd/net/local_listener.h"
#include "proxyd/node_metrics.h"
#include "proxyd/reload.h"
#include "proxyd/rpc/rpc_server.h"
#include "proxyd/session/client_session.h"

namespace obp {
namespace {

absl::StatusOr<asio::ip::tcp::endpoint> Endpoint(const std::string& address) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  std::error_code ec;
  std::string host = hp->host == "localhost" ? "127.0.0.1" : hp->host;
  auto ip = asio::ip::make_address(host, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("listen address must be an IP: ", address));
  return asio::ip::tcp::endpoint(ip, hp->port);
}

// Learns from the default tenant's first backend the version string to greet
// clients with (unless server_version is configured), so clients see the server
// they are really talking to, and which capabilities it has, so proxyd offers no
// more than it can carry (SPEC §2 Capabilities).
void ProbeBackendFacts(const config::ProxyConfig& config, session::ProxyContext* ctx) {
  if (!config.server_version.empty()) ctx->server_version = config.server_version;
  const config::Tenant* t = config.FindTenant(config.default_tenant);
  if (!t || t->backends.empty()) return;
  asio::io_context io;
  std::optional<absl::StatusOr<mysql::InitialHandshake>> got;
  asio::co_spawn(
      io, session::ProbeBackend(io.get_executor(), t->backends[0], absl::Seconds(2)),
      [&](std::exception_ptr, absl::StatusOr<mysql::InitialHandshake> r) { got = std::move(r); });
  io.run();
  if (!got || !got->ok()) {
    spdlog::warn("could not probe backend '{}'; greeting with '{}' and MariaDB's capabilities",
                 t->backends[0].name, ctx->server_version);
    return;
  }
  ctx->backend_caps = (*got)->capabilities;
  ctx->backend_ext_caps = (*got)->mariadb_ext_capabilities;
  if (config.server_version.empty()) ctx->server_version = (*got)->server_version;
  spdlog::info("backend '{}' reports version {} (capabilities {:#x}, MariaDB's {:#x})",
               t->backends[0].name, (*got)->server_version, ctx->backend_caps,
               ctx->backend_ext_caps);
}

// Publishes the session in the registry, runs it to its end and withdraws it. The
// coroutine owns the session for its whole run. SPEC §2: connections still logging
// in count against max_connections; admin_reserved_connections more are let in for
// admin logins only. The limits are those of the configuration the session took
// when it started. At the end the session's bytes move to the metrics' total of
// ended sessions (after Unregister: see Metrics::AddEndedSessionBytes).
asio::awaitable<void> RunRegistered(std::shared_ptr<session::ClientSession> session,
                                    control::SessionRegistry* registry,
                                    metrics::Metrics* node_metrics) {
  const std::shared_ptr<session::SessionHandle> handle = session->handle();
  if (absl::Status s = registry->Register(handle); !s.ok()) {
    co_await session->Refuse(metrics::Refusal::kMaxConnections, 1040, "08004",
                             "Too many connections");
  } else {
    const size_t limit = static_cast<size_t>(session->config().max_connections);
    const size_t reserved = static_cast<size_t>(session->config().admin_reserved_connections);
    const size_t n = registry->size();
    if (n > limit + reserved) {
      co_await session->Refuse(metrics::Refusal::kMaxConnections, 1040, "08004",
                               "Too many connections");
    } else {
      co_await session->Run(/*admins_only=*/n > limit);
    }
    registry->Unregister(handle->cs_id());
  }
  const net::TrafficCounters& t = *handle->client_traffic();
  node_metrics->AddEndedSessionBytes(t.bytes_read.load(std::memory_order_relaxed),
                                     t.bytes_written.load(std::memory_order_relaxed));
}

// SPEC §8: SIGTERM and SIGINT drain the node, then stop it (a second one kills
// what is left at once instead of at drain_timeout_s); SIGQUIT stops it at once;
// SIGHUP (what logrotate and `systemctl reload` send) reloads the configuration
// (reload.h); SIGUSR1 reopens the log file (the audit log is opened per line, so
// it follows a rename by itself); SIGUSR2 is ignored. None of them kills the node
// silently.
void HandleSignals(asio::signal_set& signals, asio::io_context& io, Reloader& reloader,
                   control::Drainer& drainer, const session::ProxyContext& ctx,
                   bool exit_requested = false) {
  signals.async_wait([&signals, &io, &reloader, &drainer, &ctx, exit_requested](
                         const std::error_code& ec, int sig) {
    if (ec) return;
    bool exiting = exit_requested;
    switch (sig) {
      case SIGHUP: {
        // The one place a reload happens; its result is what the reload metric counts.
        const ReloadResult result = reloader.Reload();
        if (ctx.metrics) ctx.metrics->RecordReload(result.ok);
        break;
      }
      case SIGUSR1:
        if (absl::Status s = ReopenLogFile(); !s.ok()) {
          spdlog::error("SIGUSR1: {}", std::string(s.message()));
        } else {
          spdlog::info("SIGUSR1: log file reopened");
        }
        break;
      case SIGUSR2:
        spdlog::info("SIGUSR2: ignored");
        break;
      case SIGTERM:
      case SIGINT:
        if (exiting) {
          spdlog::info("signal {} again: killing the remaining sessions now", sig);
          drainer.Hurry();
          break;
        }
        exiting = true;
        spdlog::info("signal {}: draining, then stopping", sig);
        drainer.Drain(absl::Seconds(ctx.Current()->config.drain_timeout_s),
                      [&io](const control::DrainOutcome&) { io.stop(); });
        break;
      default:
        spdlog::info("signal {}: stopping now", sig);
        io.stop();
        return;
    }
    HandleSignals(signals, io, reloader, drainer, ctx, exiting);
  });
}
}  // namespace

absl::Status RunServer(PreparedConfig prepared, const std::string& config_path,
                       const config::Overrides& overrides) {
  // The configuration the node starts with. Only its keys a reload cannot change
  // (node_id, listen, threads, ...) are read from here once serving; the rest is
  // read through ctx.Current().
  const config::ProxyConfig& config = prepared.runtime->config;
  // Signals are caught before the port opens: a SIGTERM right after the node
  // becomes reachable must still stop it cleanly.
  asio::io_context main_io;
  asio::signal_set signals(main_io, SIGTERM, SIGINT, SIGQUIT);
  signals.add(SIGHUP);
  signals.add(SIGUSR1);
  signals.add(SIGUSR2);
  int threads =
      config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  net::IoPool pool(threads);
  control::SessionRegistry registry(config.node_id);
  ProxySessIdGenerator sessids(config.node_id, absl::Now());
  // Counting is always on (it costs the data path no lock); metrics_listen only
  // decides whether the figures are served.
  auto node_metrics = std::make_shared<metrics::Metrics>(threads);
  session::SessionHistory history(static_cast<size_t>(config.history_size));
  session::ProxyContext ctx;
  ctx.runtime.Set(prepared.runtime);
  ctx.history = &history;
  ctx.node_id = config.node_id;
  ctx.metrics = node_metrics.get();
  ctx.io = &pool;
  ctx.sessids = &sessids;
  ctx.pid = static_cast<int>(::getpid());
  ctx.started_at = absl::Now();
  for (int i = 0; i < pool.size(); ++i) {
    // Each thread keeps its share of the per-backend idle limit.
    int share = (config.pool_max_idle_per_backend + pool.size() - 1) / pool.size();
    ctx.pools.push_back(
        std::make_unique<session::BackendPool>(share, absl::Seconds(config.pool_idle_timeout_s)));
    ctx.tickers.push_back(std::make_unique<session::StatementTicker>(
        pool.context(i).get_executor(), session::kLongStatementTick));
  }
  ProbeBackendFacts(config, &ctx);
  control::KillService kills(config.node_id, config.audit_log, &registry);
  kills.SetPeers(prepared.peers);
  kills.SetMetrics(node_metrics.get());
  node_metrics->SetSource(MakeSnapshotSource(&ctx, &registry));
  admin::AdminService admin(&ctx, &registry, &kills);
  ctx.admin = &admin;

  auto ep = Endpoint(config.listen);
  if (!ep.ok()) return ep.status();
  std::vector<std::unique_ptr<net::Listener>> listeners;
  for (int i = 0; i < pool.size(); ++i) {
    auto& io = pool.context(i);
    auto accept = [&ctx, &io, &registry, i](asio::ip::tcp::socket s,
                                            const asio::ip::tcp::endpoint& peer) {
      auto session = session::ClientSession::Create(&ctx, std::move(s), peer, i);
      asio::co_spawn(io, RunRegistered(std::move(session), &registry, ctx.metrics),
                     asio::detached);
    };
    listeners.push_back(std::make_unique<net::Listener>(io, std::move(accept)));
    if (absl::Status s = listeners.back()->Bind(*ep); !s.ok()) return s;
  }
  std::unique_ptr<net::LocalListener> local;
  if (!config.listen_socket.empty()) {
    auto accept = [&ctx, &pool, &registry](net::PacketConn::Socket s, int i) {
      auto session = session::ClientSession::CreateLocal(&ctx, std::move(s), i);
      asio::co_spawn(pool.context(i), RunRegistered(std::move(session), &registry, ctx.metrics),
                     asio::detached);
    };
    local = std::make_unique<net::LocalListener>(pool, std::move(accept));
    if (absl::Status s = local->Bind(config.listen_socket); !s.ok()) return s;
  }
  control::Drainer drainer(main_io.get_executor(), config.node_id, &registry, &kills,
                           &ctx.draining);
  auto rpc = rpc::StartRpcServer(config, prepared.tokens, &ctx, &registry, &kills, &drainer);
  if (!rpc.ok()) return rpc.status();
  Reloader reloader(config_path, overrides, Reloader::Targets{&ctx, &kills, rpc->get()}, prepared);
  drainer.SetStopAccepting([&pool, &listeners, &local, &ctx, rpc = rpc->get()] {
    for (int i = 0; i < pool.size(); ++i) {
      asio::post(pool.context(i), [l = listeners[i].get()] { l->Close(); });
    }
    if (local) asio::post(pool.context(0), [l = local.get()] { l->Close(); });
    rpc->SetServing(false);
    if (ctx.metrics) ctx.metrics->SetDraining(true);
  });
  // After the listeners, so a node that serves metrics also serves SQL; a bind
  // failure stops the start like the SQL port's.
  std::unique_ptr<metrics::MetricsEndpoint> metrics_endpoint;
  if (!config.metrics_listen.empty()) {
    auto started = metrics::MetricsEndpoint::Start(config.metrics_listen, node_metrics);
    if (!started.ok()) {
      (*rpc)->Shutdown();
      return started.status();
    }
    metrics_endpoint = *std::move(started);
  }

  pool.Start();
  for (int i = 0; i < pool.size(); ++i) {
    asio::co_spawn(pool.context(i), listeners[i]->AcceptLoop(), asio::detached);
  }
  if (local) asio::co_spawn(pool.context(0), local->AcceptLoop(), asio::detached);
  spdlog::info("proxyd node {} ready: sql {}{}{} grpc {}{}{} threads {}", config.node_id,
               config.listen, local ? " and " : "", config.listen_socket, (*rpc)->address(),
               metrics_endpoint ? " metrics " : "",
               metrics_endpoint ? metrics_endpoint->address() : "", threads);

  HandleSignals(signals, main_io, reloader, drainer, ctx);
  main_io.run();
  drainer.Abandon();

  ctx.stopping = true;
  for (int i = 0; i < pool.size(); ++i) {
    asio::post(pool.context(i), [l = listeners[i].get()] { l->Close(); });
  }
  if (local) asio::post(pool.context(0), [l = local.get()] { l->Close(); });
  for (auto& h : registry.All()) {
    // The lambda owns the handle for the verb's whole run.
    // What the backends said about their KILLs changes nothing at shutdown.
    auto stop = [h]() -> asio::awaitable<void> {
      session::SessionEnd end;
      end.reason = session::EndReason::kKilled;
      end.actor = "proxyd (stopping)";
      end.detail = "the node stopped before the session ended";
      (co_await h->Terminate(std::move(end))).IgnoreError();
    };
    asio::co_spawn(h->executor(), std::move(stop), asio::detached);
  }
  for (int waited = 0; registry.size() > 0 && waited < 100; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  metrics_endpoint.reset();  // no scrape reads the registry or pools past here
  (*rpc)->Shutdown();
  pool.Stop();
  spdlog::info("proxyd node {} stopped", config.node_id);
  return absl::OkStatus();
}

}  // namespace obp
