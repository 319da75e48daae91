#include "proxyd/metrics/metrics.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "proxyd/metrics/counters.h"

namespace obp::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddCounter(MetricFamily* f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  f->metric.push_back(std::move(m));
}

void AddGauge(MetricFamily* f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f->metric.push_back(std::move(m));
}

double D(uint64_t n) { return static_cast<double>(n); }

MetricFamily Commands(const CounterValues& v) {
  MetricFamily f = Family("proxyd_commands_total", "Client commands received, by command",
                          MetricType::Counter);
  // The commands clients commonly send always have a sample (so rate() sees them
  // start from 0); the rest appear once used. Bytes without a name are summed.
  static constexpr uint8_t kAlways[] = {0x01, 0x02, 0x03, 0x04, 0x09, 0x0a, 0x0c, 0x0e, 0x11,
                                        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0xfa};
  std::map<std::string, uint64_t> by_name;
  for (uint8_t b : kAlways) by_name[CommandName(b)] = 0;
  for (int b = 0; b < 256; ++b) {
    if (v.commands[b] != 0) by_name[CommandName(static_cast<uint8_t>(b))] += v.commands[b];
  }
  for (const auto& [name, n] : by_name) AddCounter(&f, {{"command", name}}, D(n));
  return f;
}

MetricFamily Latency(const CounterValues& v) {
  MetricFamily f = Family("proxyd_statement_duration_seconds",
                          "Time from a statement's command (COM_QUERY, COM_STMT_EXECUTE) read to "
                          "its reply written",
                          MetricType::Histogram);
  ClientMetric m;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += v.latency_buckets[i];
    m.histogram.bucket.push_back({cumulative, kLatencyBounds[i]});
  }
  cumulative += v.latency_buckets[kLatencyBounds.size()];
  m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  // The count is the buckets' sum, read together, so it matches the +Inf bucket.
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = D(v.latency_sum_ns) / 1e9;
  f.metric.push_back(std::move(m));
  return f;
}

void Connections(const CounterValues& v, std::vector<MetricFamily>* out) {
  MetricFamily accepted = Family("proxyd_connections_accepted_total",
                                 "Client connections accepted (TCP and listen_socket)",
                                 MetricType::Counter);
  AddCounter(&accepted, {}, D(v.accepted));
  out->push_back(std::move(accepted));
  MetricFamily refused = Family("proxyd_connections_refused_total",
                                "Client connections turned away, by reason", MetricType::Counter);
  for (size_t i = 0; i < v.refused.size(); ++i) {
    AddCounter(&refused, {{"reason", RefusalName(static_cast<Refusal>(i))}}, D(v.refused[i]));
  }
  out->push_back(std::move(refused));
  MetricFamily failures = Family("proxyd_login_failures_total", "Failed client logins, by reason",
                                 MetricType::Counter);
  for (size_t i = 0; i < v.login_failures.size(); ++i) {
    AddCounter(&failures, {{"reason", LoginFailureName(static_cast<LoginFailure>(i))}},
               D(v.login_failures[i]));
  }
  out->push_back(std::move(failures));
}

}  // namespace

Metrics::Metrics(int io_threads) : threads_(static_cast<size_t>(std::max(1, io_threads))) {}

void Metrics::SetSource(SnapshotSource source) {
  MutexLock lock(&mu_);
  source_ = std::move(source);
}

void Metrics::CountKill(KillSource source, KillMode mode, KillOutcome outcome) {
  kills_[static_cast<size_t>(source)][static_cast<size_t>(mode)][static_cast<size_t>(outcome)]
      .fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountForwardedKill(KillOutcome outcome) {
  forwarded_kills_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::RecordReload(bool ok) {
  (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::SetDraining(bool draining) { draining_.store(draining, std::memory_order_relaxed); }

void Metrics::AddEndedSessionBytes(uint64_t in, uint64_t out) {
  ended_bytes_in_.fetch_add(in, std::memory_order_relaxed);
  ended_bytes_out_.fetch_add(out, std::memory_order_relaxed);
}

void Metrics::CollectEvents(std::vector<MetricFamily>* out) const {
  const CounterValues v = Sum(threads_);
  out->push_back(Commands(v));
  out->push_back(Latency(v));
  Connections(v, out);

  MetricFamily kills = Family("proxyd_kills_total",
                              "Kill attempts as audited, by source, mode and result",
                              MetricType::Counter);
  for (size_t s = 0; s < kSources; ++s) {
    for (size_t m = 0; m < kModes; ++m) {
      for (size_t o = 0; o < kOutcomes; ++o) {
        uint64_t n = kills_[s][m][o].load(std::memory_order_relaxed);
        if (n == 0) continue;  // 60 combinations; most never happen
        AddCounter(&kills,
                   {{"mode", KillModeName(static_cast<KillMode>(m))},
                    {"result", KillOutcomeName(static_cast<KillOutcome>(o))},
                    {"source", KillSourceName(static_cast<KillSource>(s))}},
                   D(n));
      }
    }
  }
  out->push_back(std::move(kills));
  MetricFamily forwarded = Family("proxyd_kills_forwarded_total",
                                  "SQL kills this node forwarded to a peer, by result",
                                  MetricType::Counter);
  for (size_t o = 0; o < kOutcomes; ++o) {
    uint64_t n = forwarded_kills_[o].load(std::memory_order_relaxed);
    if (n != 0) {
      AddCounter(&forwarded, {{"result", KillOutcomeName(static_cast<KillOutcome>(o))}}, D(n));
    }
  }
  out->push_back(std::move(forwarded));

  MetricFamily reloads = Family("proxyd_config_reloads_total", "Configuration reloads, by result",
                                MetricType::Counter);
  AddCounter(&reloads, {{"result", "ok"}}, D(reloads_ok_.load(std::memory_order_relaxed)));
  AddCounter(&reloads, {{"result", "failed"}}, D(reloads_failed_.load(std::memory_order_relaxed)));
  out->push_back(std::move(reloads));
  MetricFamily draining = Family("proxyd_draining", "1 while the node drains, else 0",
                                 MetricType::Gauge);
  AddGauge(&draining, {}, draining_.load(std::memory_order_relaxed) ? 1 : 0);
  out->push_back(std::move(draining));
}

void Metrics::CollectSnapshot(const Snapshot& snap, std::vector<MetricFamily>* out) const {
  MetricFamily sessions = Family("proxyd_client_sessions", "Live client sessions, by tenant and state",
                                 MetricType::Gauge);
  for (const SessionGroup& g : snap.sessions) {
    AddGauge(&sessions, {{"state", g.state}, {"tenant", g.tenant}}, D(g.sessions));
  }
  out->push_back(std::move(sessions));
  MetricFamily servers = Family("proxyd_server_sessions",
                                "Backend connections held by live client sessions, by backend",
                                MetricType::Gauge);
  MetricFamily pooled = Family("proxyd_pooled_connections",
                               "Idle backend connections waiting in the pools, by backend",
                               MetricType::Gauge);
  MetricFamily up = Family("proxyd_backend_up",
                           "1 if the node's last connect to the backend succeeded, 0 if it "
                           "failed; no sample before the first connect",
                           MetricType::Gauge);
  for (const BackendFigures& b : snap.backends) {
    Labels labels = {{"backend", b.backend}, {"tenant", b.tenant}};
    AddGauge(&servers, labels, D(b.server_sessions));
    AddGauge(&pooled, labels, D(b.pooled_idle));
    if (b.health != BackendFigures::kUnknown) {
      AddGauge(&up, labels, b.health == BackendFigures::kUp ? 1 : 0);
    }
  }
  out->push_back(std::move(servers));
  out->push_back(std::move(pooled));
  out->push_back(std::move(up));
}

std::vector<MetricFamily> Metrics::Collect() const {
  std::vector<MetricFamily> out;
  CollectEvents(&out);
  Snapshot snap;
  uint64_t in = 0, out_bytes = 0;
  {
    MutexLock lock(&mu_);
    if (source_) snap = source_();
    // A session's bytes move from the live sum to the ended total; a scrape between
    // the two steps could see them in neither. Never report less than before.
    reported_in_ = in = std::max(reported_in_, snap.live_bytes_in +
                                                   ended_bytes_in_.load(std::memory_order_relaxed));
    reported_out_ = out_bytes =
        std::max(reported_out_,
                 snap.live_bytes_out + ended_bytes_out_.load(std::memory_order_relaxed));
  }
  CollectSnapshot(snap, &out);
  MetricFamily bytes = Family("proxyd_client_bytes_total",
                              "Bytes from clients (direction in) and to them (out)",
                              MetricType::Counter);
  AddCounter(&bytes, {{"direction", "in"}}, D(in));
  AddCounter(&bytes, {{"direction", "out"}}, D(out_bytes));
  out.push_back(std::move(bytes));
  return out;
}

}  // namespace obp::metrics
