// KillService counts every kill in the metrics where it writes the audit line: once,
// by source, mode and the audit's result.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "proxyd/control/kill_service.h"
#include "proxyd/metrics/metrics.h"

namespace obp::control {
namespace {

double KillCount(const metrics::Metrics& m, const std::string& source, const std::string& mode,
                 const std::string& result) {
  for (const auto& f : m.Collect()) {
    if (f.name != "proxyd_kills_total") continue;
    for (const auto& s : f.metric) {
      std::map<std::string, std::string> l;
      for (const auto& label : s.label) l[label.name] = label.value;
      if (l["source"] == source && l["mode"] == mode && l["result"] == result) {
        return s.counter.value;
      }
    }
  }
  return 0;
}

absl::StatusOr<KillResult> RunKill(KillService& kills, Caller caller, KillRequest request) {
  asio::io_context io;
  std::optional<absl::StatusOr<KillResult>> got;
  asio::co_spawn(io, kills.Kill(std::move(caller), std::move(request)),
                 [&](std::exception_ptr, absl::StatusOr<KillResult> r) { got = std::move(r); });
  io.run();
  return got ? *std::move(got) : absl::InternalError("kill did not finish");
}

class KillMetrics : public ::testing::Test {
 protected:
  KillMetrics() { kills.SetMetrics(&m); }
  SessionRegistry registry{1};
  KillService kills{/*node_id=*/1, /*audit_log=*/"", &registry};  // audit lines go nowhere
  metrics::Metrics m{1};
};

TEST_F(KillMetrics, AKillOfAnUnknownIdCountsAsNotFound) {
  Caller admin;
  admin.admin = true;
  KillRequest req;
  req.id = 987654;
  EXPECT_TRUE(absl::IsNotFound(RunKill(kills, admin, req).status()));
  req.mode = Mode::kQuery;
  Caller grpc = admin;
  grpc.source = metrics::KillSource::kGrpc;
  EXPECT_TRUE(absl::IsNotFound(RunKill(kills, grpc, req).status()));
  EXPECT_EQ(KillCount(m, "sql", "connection", "not_found"), 1);
  EXPECT_EQ(KillCount(m, "grpc", "query", "not_found"), 1);
  EXPECT_EQ(KillCount(m, "sql", "connection", "ok"), 0);
}

TEST_F(KillMetrics, RefusalsCountEvenWhenTheAuditLogSuppressesThem) {
  Caller nobody;
  nobody.source = metrics::KillSource::kGrpc;
  KillRequest req;
  req.id = 5;
  // The limiter lets 10 a second per address into the log; all 30 are counted.
  for (int i = 0; i < 30; ++i) {
    kills.AuditRefusal(nobody, req, absl::UnauthenticatedError("no valid token"), "127.0.0.9");
  }
  kills.AuditRefusal(nobody, req, absl::InvalidArgumentError("reason: too long"));
  EXPECT_EQ(KillCount(m, "grpc", "connection", "denied"), 30);
  EXPECT_EQ(KillCount(m, "grpc", "connection", "refused"), 1);
}

TEST(KillMetricsOff, WithoutMetricsAKillStillWorks) {
  SessionRegistry registry(1);
  KillService kills(/*node_id=*/1, /*audit_log=*/"", &registry);  // SetMetrics never called
  KillRequest req;
  req.id = 987654;
  EXPECT_TRUE(absl::IsNotFound(RunKill(kills, Caller{}, req).status()));
}

}  // namespace
}  // namespace obp::control
