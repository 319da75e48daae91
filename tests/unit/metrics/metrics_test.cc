// Metrics::Collect: every family SPEC §8 lists, the hooks (kills, reloads,
// draining, ended sessions' bytes) moving their samples, and the text a scrape gets.
#include "proxyd/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <map>
#include <string>

namespace obp::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using LabelMap = std::map<std::string, std::string>;

const prometheus::MetricFamily* FindFamily(const std::vector<prometheus::MetricFamily>& all,
                                           const std::string& name) {
  for (const auto& f : all) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The sample of `name` whose labels are exactly `labels`, or null.
const prometheus::ClientMetric* Find(const std::vector<prometheus::MetricFamily>& all,
                                     const std::string& name, const LabelMap& labels) {
  const prometheus::MetricFamily* f = FindFamily(all, name);
  if (!f) return nullptr;
  for (const auto& m : f->metric) {
    LabelMap got;
    for (const auto& l : m.label) got[l.name] = l.value;
    if (got == labels) return &m;
  }
  return nullptr;
}

double CounterOf(const std::vector<prometheus::MetricFamily>& all, const std::string& name,
                 const LabelMap& labels = {}) {
  const prometheus::ClientMetric* m = Find(all, name, labels);
  return m ? m->counter.value : -1;
}

double GaugeOf(const std::vector<prometheus::MetricFamily>& all, const std::string& name,
               const LabelMap& labels = {}) {
  const prometheus::ClientMetric* m = Find(all, name, labels);
  return m ? m->gauge.value : -1;
}

TEST(Metrics, EveryFamilyIsThereFromTheStart) {
  Metrics m(2);
  auto all = m.Collect();
  for (const char* name :
       {"proxyd_client_sessions", "proxyd_server_sessions", "proxyd_pooled_connections",
        "proxyd_connections_accepted_total", "proxyd_connections_refused_total",
        "proxyd_commands_total", "proxyd_statement_duration_seconds", "proxyd_client_bytes_total",
        "proxyd_kills_total", "proxyd_kills_forwarded_total", "proxyd_backend_up",
        "proxyd_login_failures_total", "proxyd_config_reloads_total", "proxyd_draining"}) {
    EXPECT_NE(FindFamily(all, name), nullptr) << name;
  }
}

TEST(Metrics, ReloadAndDrainHooks) {
  Metrics m(1);
  auto before = m.Collect();
  EXPECT_EQ(CounterOf(before, "proxyd_config_reloads_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(CounterOf(before, "proxyd_config_reloads_total", {{"result", "failed"}}), 0);
  EXPECT_EQ(GaugeOf(before, "proxyd_draining"), 0);
  m.RecordReload(true);
  m.RecordReload(true);
  m.RecordReload(false);
  m.SetDraining(true);
  auto after = m.Collect();
  EXPECT_EQ(CounterOf(after, "proxyd_config_reloads_total", {{"result", "ok"}}), 2);
  EXPECT_EQ(CounterOf(after, "proxyd_config_reloads_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(GaugeOf(after, "proxyd_draining"), 1);
  m.SetDraining(false);
  EXPECT_EQ(GaugeOf(m.Collect(), "proxyd_draining"), 0);
}

TEST(Metrics, KillsBySourceModeAndResult) {
  Metrics m(1);
  EXPECT_TRUE(FindFamily(m.Collect(), "proxyd_kills_total")->metric.empty());
  m.CountKill(KillSource::kSql, KillMode::kConnection, KillOutcome::kOk);
  m.CountKill(KillSource::kSql, KillMode::kConnection, KillOutcome::kOk);
  m.CountKill(KillSource::kGrpc, KillMode::kQuery, KillOutcome::kNotFound);
  m.CountKill(KillSource::kPeer, KillMode::kConnection, KillOutcome::kPartial);
  m.CountForwardedKill(KillOutcome::kUnreachable);
  auto all = m.Collect();
  EXPECT_EQ(CounterOf(all, "proxyd_kills_total",
                      {{"source", "sql"}, {"mode", "connection"}, {"result", "ok"}}),
            2);
  EXPECT_EQ(CounterOf(all, "proxyd_kills_total",
                      {{"source", "grpc"}, {"mode", "query"}, {"result", "not_found"}}),
            1);
  EXPECT_EQ(CounterOf(all, "proxyd_kills_total",
                      {{"source", "peer"}, {"mode", "connection"}, {"result", "partial"}}),
            1);
  EXPECT_EQ(FindFamily(all, "proxyd_kills_total")->metric.size(), 3u);
  EXPECT_EQ(CounterOf(all, "proxyd_kills_forwarded_total", {{"result", "unreachable"}}), 1);
}

TEST(Metrics, DataPathCountersByName) {
  Metrics m(2);
  m.thread(0).CountCommand(0x03);
  m.thread(1).CountCommand(0x03);
  m.thread(1).CountCommand(0x17);
  m.thread(0).CountCommand(0x0e);
  m.thread(0).CountCommand(0xee);  // no name
  m.thread(1).CountCommand(0xef);
  m.thread(0).CountAccepted();
  m.thread(1).CountRefused(Refusal::kMaxConnections);
  m.thread(1).CountLoginFailure(LoginFailure::kBadHandshake);
  auto all = m.Collect();
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "query"}}), 2);
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "stmt_execute"}}), 1);
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "ping"}}), 1);
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "unknown"}}), 2);
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "stmt_bulk_execute"}}), 0);
  // A rare command has a sample only once used (CounterOf: -1 when absent).
  EXPECT_EQ(CounterOf(all, "proxyd_commands_total", {{"command", "binlog_dump"}}), -1);
  EXPECT_EQ(CounterOf(all, "proxyd_connections_accepted_total"), 1);
  EXPECT_EQ(CounterOf(all, "proxyd_connections_refused_total", {{"reason", "max_connections"}}), 1);
  EXPECT_EQ(CounterOf(all, "proxyd_connections_refused_total", {{"reason", "admins_only"}}), 0);
  EXPECT_EQ(CounterOf(all, "proxyd_login_failures_total", {{"reason", "bad_handshake"}}), 1);
  EXPECT_EQ(CounterOf(all, "proxyd_login_failures_total", {{"reason", "access_denied"}}), 0);
}

TEST(Metrics, LatencyHistogramIsCumulativeWithInf) {
  Metrics m(2);
  m.thread(0).ObserveStatement(100'000);         // 0.1 ms
  m.thread(1).ObserveStatement(30'000'000);      // 30 ms
  m.thread(1).ObserveStatement(60'000'000'000);  // 60 s
  auto all = m.Collect();
  const prometheus::ClientMetric* h = Find(all, "proxyd_statement_duration_seconds", {});
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->histogram.bucket.size(), kLatencyBounds.size() + 1);
  EXPECT_EQ(h->histogram.bucket[0].cumulative_count, 1u);  // le=0.0005
  EXPECT_EQ(h->histogram.bucket[5].upper_bound, 0.025);
  EXPECT_EQ(h->histogram.bucket[5].cumulative_count, 1u);
  EXPECT_EQ(h->histogram.bucket[6].cumulative_count, 2u);  // le=0.05
  EXPECT_EQ(h->histogram.bucket[13].cumulative_count, 2u);  // le=10
  EXPECT_TRUE(std::isinf(h->histogram.bucket.back().upper_bound));
  EXPECT_EQ(h->histogram.bucket.back().cumulative_count, 3u);
  EXPECT_EQ(h->histogram.sample_count, 3u);
  EXPECT_DOUBLE_EQ(h->histogram.sample_sum, 60.0301);
}

TEST(Metrics, SnapshotSourceFeedsTheGauges) {
  Metrics m(1);
  m.SetSource([] {
    Snapshot s;
    s.sessions.push_back({"sys", "MCS_KEEP_ALIVE", 2});
    s.sessions.push_back({"", "MCS_INIT", 1});
    BackendFigures up{"sys", "primary", 3, 1, BackendFigures::kUp};
    BackendFigures unknown{"sys", "replica", 0, 0, BackendFigures::kUnknown};
    BackendFigures down{"t2", "b", 0, 0, BackendFigures::kDown};
    s.backends = {up, unknown, down};
    return s;
  });
  auto all = m.Collect();
  EXPECT_EQ(GaugeOf(all, "proxyd_client_sessions", {{"tenant", "sys"}, {"state", "MCS_KEEP_ALIVE"}}),
            2);
  EXPECT_EQ(GaugeOf(all, "proxyd_client_sessions", {{"tenant", ""}, {"state", "MCS_INIT"}}), 1);
  EXPECT_EQ(GaugeOf(all, "proxyd_server_sessions", {{"tenant", "sys"}, {"backend", "primary"}}), 3);
  EXPECT_EQ(GaugeOf(all, "proxyd_pooled_connections", {{"tenant", "sys"}, {"backend", "primary"}}),
            1);
  EXPECT_EQ(GaugeOf(all, "proxyd_backend_up", {{"tenant", "sys"}, {"backend", "primary"}}), 1);
  EXPECT_EQ(GaugeOf(all, "proxyd_backend_up", {{"tenant", "t2"}, {"backend", "b"}}), 0);
  // Never connected: no sample rather than a guess.
  EXPECT_EQ(Find(all, "proxyd_backend_up", {{"tenant", "sys"}, {"backend", "replica"}}), nullptr);
}

TEST(Metrics, BytesCountLiveAndEndedSessionsAndNeverGoBack) {
  Metrics m(1);
  uint64_t live_in = 100, live_out = 1000;
  m.SetSource([&] {
    Snapshot s;
    s.live_bytes_in = live_in;
    s.live_bytes_out = live_out;
    return s;
  });
  auto all = m.Collect();
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "in"}}), 100);
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "out"}}), 1000);
  // The session left the registry; its bytes are not yet in the ended total.
  live_in = 0;
  live_out = 0;
  all = m.Collect();
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "in"}}), 100);
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "out"}}), 1000);
  m.AddEndedSessionBytes(120, 1500);  // what it had at its very end
  all = m.Collect();
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "in"}}), 120);
  EXPECT_EQ(CounterOf(all, "proxyd_client_bytes_total", {{"direction", "out"}}), 1500);
}

TEST(Metrics, TextFormat) {
  Metrics m(1);
  m.thread(0).CountCommand(0x03);
  m.RecordReload(false);
  std::string text = prometheus::TextSerializer().Serialize(m.Collect());
  EXPECT_THAT(text, HasSubstr("# TYPE proxyd_commands_total counter\n"));
  EXPECT_THAT(text, HasSubstr("proxyd_commands_total{command=\"query\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("proxyd_config_reloads_total{result=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE proxyd_statement_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("proxyd_statement_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE proxyd_draining gauge\n"));
  EXPECT_THAT(text, Not(HasSubstr(" Nan\n")));  // what prometheus-cpp writes for NaN
}

}  // namespace
}  // namespace obp::metrics
