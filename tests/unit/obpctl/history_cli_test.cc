// SPEC §9 from obpctl's side, against in-process fake nodes: the history
// fan-out (every page of every node), `sessions history` output and exit
// codes, statement selectors and only_if on kills, `sessions list --sort` and
// `--watch` when stdout is not a terminal.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/core/ids.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/history_view.h"
#include "tests/unit/obpctl/cli_run.h"
#include "tests/unit/obpctl/fakes.h"

namespace obp::testing {
namespace {

using google::protobuf::util::TimeUtil;

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::unique_ptr<FakeNode> HistoryNode(uint32_t id, std::vector<pb::EndedSession> ended,
                                      uint64_t forgotten = 0) {
  FakeNodeConfig c;
  c.node_id = id;
  c.ended = std::move(ended);
  c.forgotten = forgotten;
  c.history_size = 100;
  return StartFake(std::move(c));
}

pb::Session Busy(uint32_t node, uint32_t seq, const std::string& statement, int64_t running_s) {
  pb::Session s = MakeSession(node, seq, "app", "sys", {900 + seq});
  s.set_state(pb::MCS_ACTIVE_READER);
  s.set_current_statement(statement);
  *s.mutable_statement_time() = TimeUtil::SecondsToDuration(running_s);
  *s.mutable_idle() = TimeUtil::SecondsToDuration(0);
  return s;
}

TEST(FleetClientHistory, EveryPageOfEveryNode) {
  const absl::Time now = absl::Now();
  std::vector<pb::EndedSession> five;
  for (uint32_t i = 1; i <= 5; ++i) {
    five.push_back(MakeEnded(1, i, "app", now - absl::Seconds(10 * (6 - i)), "client_quit"));
  }
  auto n1 = HistoryNode(1, five, /*forgotten=*/3);
  auto n2 = HistoryNode(2, {MakeEnded(2, 1, "bob", now, "killed")});
  const std::string dead = DeadAddress();
  fleet::ClientOptions o;
  o.timeout = absl::Milliseconds(500);
  auto client = fleet::FleetClient::Create({Target(*n1, 1), Target(*n2, 2), {3, dead}}, o);
  ASSERT_TRUE(client.ok()) << client.status();
  auto results = (*client)->ListEndedSessionsAllSync({});
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status;
  EXPECT_EQ(results[0].response.sessions_size(), 5);  // 3 pages of at most 2
  EXPECT_EQ(results[0].response.forgotten(), 3u);
  EXPECT_EQ(results[0].response.history_size(), 100u);
  EXPECT_TRUE(results[0].response.has_kept_since());
  EXPECT_TRUE(results[1].status.ok());
  EXPECT_FALSE(results[2].status.ok());
  EXPECT_EQ(ctl::MergeEnded(results).size(), 6u);
  EXPECT_EQ(ctl::MergeEnded(results).back().user(), "bob");  // the newest at the bottom

  fleet::pb::ListEndedSessionsRequest killed;
  killed.mutable_filter()->set_reason("killed");
  EXPECT_EQ(ctl::MergeEnded((*client)->ListEndedSessionsAllSync(killed)).size(), 1u);
}

TEST(ObpctlHistory, TableMergedByEndTimeWithKillDetail) {
  const absl::Time now = absl::Now();
  auto killed = MakeEnded(2, 1, "app", now - absl::Seconds(20), "killed", "runaway");
  killed.set_actor("token:ops");
  killed.set_via("grpc");
  auto n1 = HistoryNode(1, {MakeEnded(1, 1, "bob", now - absl::Seconds(40), "client_quit"),
                            MakeEnded(1, 2, "bob", now - absl::Seconds(5), "idle_timeout")});
  auto n2 = HistoryNode(2, {killed});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  CliRun r = Obpctl({"--fleet", fleet, "sessions", "history"});
  ASSERT_EQ(r.code, 0) << r;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_TRUE(absl::StartsWith(lines[0], "ENDED")) << r;
  EXPECT_TRUE(absl::StrContains(lines[1], "client_quit")) << r;
  EXPECT_TRUE(absl::StrContains(lines[2], " killed ")) << r;
  EXPECT_TRUE(absl::EndsWith(lines[2], "  by token:ops via grpc: runaway")) << r;
  EXPECT_TRUE(absl::StrContains(lines[3], "idle_timeout")) << r;
  EXPECT_EQ(r.err, "") << r;

  CliRun bob = Obpctl({"--fleet", fleet, "sessions", "history", "--user", "bob", "--reason",
                       "idle_timeout", "-o", "wide"});
  ASSERT_EQ(bob.code, 0) << bob;
  EXPECT_TRUE(absl::StrContains(bob.out, "LAST_STATEMENT")) << bob;
  EXPECT_EQ(std::count(bob.out.begin(), bob.out.end(), '\n'), 2) << bob;
}

TEST(ObpctlHistory, SinceIsSentAsATimeAndForgettingIsNoted) {
  const absl::Time now = absl::Now();
  auto n1 = HistoryNode(1, {MakeEnded(1, 1, "app", now - absl::Hours(2), "client_quit"),
                            MakeEnded(1, 2, "app", now - absl::Minutes(3), "client_gone")},
                        /*forgotten=*/41);
  auto n2 = HistoryNode(2, {MakeEnded(2, 1, "app", now - absl::Minutes(1), "error", "boom")});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  // 10m back: node 1 remembers from 2h ago, so nothing asked for is lost.
  CliRun recent = Obpctl({"--fleet", fleet, "sessions", "history", "--since", "10m"});
  ASSERT_EQ(recent.code, 0) << recent;
  EXPECT_FALSE(absl::StrContains(recent.out, "client_quit")) << recent;
  EXPECT_TRUE(absl::StrContains(recent.out, "client_gone")) << recent;
  EXPECT_TRUE(absl::EndsWith(recent.out, "  error        boom\n")) << recent;
  EXPECT_EQ(recent.err, "") << recent;
  // 3h back (a bare number is seconds): node 1 forgot some of that, once on stderr.
  CliRun older = Obpctl({"--fleet", fleet, "sessions", "history", "--since", "10800"});
  ASSERT_EQ(older.code, 0) << older;
  EXPECT_TRUE(absl::StrContains(older.out, "client_quit")) << older;
  EXPECT_TRUE(absl::StartsWith(older.err, "obpctl: node 1 remembers sessions only since ")) << older;
  EXPECT_TRUE(absl::StrContains(older.err, " (history_size 100; 41 older ones forgotten)\n"))
      << older;
  EXPECT_EQ(std::count(older.err.begin(), older.err.end(), '\n'), 1) << older;
}

TEST(ObpctlHistory, JsonAndPartialResults) {
  auto n1 = HistoryNode(1, {MakeEnded(1, 1, "app", absl::Now(), "login_failed", "bad password")});
  auto hung = StartFake(2, {}, /*hang=*/true);
  const std::string fleet = FleetFile({{1, n1->address()}, {2, hung->address()}});
  CliRun r = Obpctl({"--fleet", fleet, "--timeout", "300ms", "sessions", "history", "-o", "json"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_TRUE(absl::StartsWith(r.out, "{\"sessions\":[{")) << r;
  EXPECT_TRUE(absl::StrContains(r.out, "\"reason\":\"login_failed\"")) << r;
  EXPECT_TRUE(absl::StrContains(r.out, "\"actor\":\"\"")) << r;  // primitives always printed
  EXPECT_TRUE(absl::StrContains(r.out, "\"nodes\":[{\"node_id\":1,")) << r;
  EXPECT_TRUE(absl::StrContains(r.out, "\"errors\":[{\"node_id\":2,")) << r;
  EXPECT_TRUE(
      absl::StrContains(r.err, "obpctl: node 2 (" + hung->address() + "): deadline exceeded"))
      << r;
}

TEST(ObpctlHistory, UsageErrors) {
  auto n1 = HistoryNode(1, {});
  const std::string node = n1->address();
  CliRun reason = Obpctl({"--node", node, "sessions", "history", "--reason", "kiled"});
  EXPECT_EQ(reason.code, 1) << reason;
  EXPECT_TRUE(
      absl::StrContains(reason.err, "unknown reason \"kiled\"; expected one of client_quit,"))
      << reason;
  EXPECT_TRUE(absl::StrContains(reason.err, "drain, error")) << reason;
  EXPECT_EQ(Obpctl({"--node", node, "sessions", "history", "--since", "yesterday"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", node, "sessions", "history", "--cs-id", "0"}).code, 1);
  CliRun addr = Obpctl({"--node", node, "sessions", "history", "--node", node});
  EXPECT_EQ(addr.code, 1) << addr;
  EXPECT_TRUE(absl::StrContains(addr.err, "sessions history --node takes a node id")) << addr;
}

TEST(ObpctlSelectors, KillByStatementSendsOnlyIfAndLeavesFinishedAlone) {
  FakeNodeConfig c1;
  c1.node_id = 1;
  c1.sessions = {Busy(1, 1, "SELECT SLEEP(30)", 12), Busy(1, 2, "SELECT SLEEP(30)", 40),
                 Busy(1, 3, "UPDATE t SET a = 1", 50), MakeSession(1, 4, "app", "sys")};
  c1.finish_before_kill = {MakeCsId(1, 2)};  // its statement ends before the kill acts
  auto n1 = StartFake(std::move(c1));
  auto n2 = StartFake(2, {Busy(2, 1, "select sleep(5)", 1)});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  const std::vector<std::string> select = {"--statement", "SELECT SLEEP%", "--running-over",
                                           "10s"};
  std::vector<std::string> dry = {"--fleet", fleet, "kill", "--dry-run"};
  dry.insert(dry.end(), select.begin(), select.end());
  CliRun d = Obpctl(dry);
  ASSERT_EQ(d.code, 0) << d;
  EXPECT_TRUE(absl::StrContains(d.out, "2 session(s) would be killed")) << d;
  EXPECT_TRUE(absl::StrContains(d.out, "STATEMENT"))
      << d;  // statement selectors show the statements
  EXPECT_TRUE(n1->kills().empty());

  std::vector<std::string> yes = {"--fleet", fleet, "kill", "--yes", "--query"};
  yes.insert(yes.end(), select.begin(), select.end());
  CliRun y = Obpctl(yes);
  ASSERT_EQ(y.code, 0) << y;
  const std::string label = "node 1 (" + n1->address() + ")";
  EXPECT_TRUE(absl::StrContains(
      y.out, label + ": killed the query of 1: cs_id " + std::to_string(MakeCsId(1, 1)) + "\n"))
      << y;
  EXPECT_TRUE(absl::StrContains(y.out, label + ": cs_id " + std::to_string(MakeCsId(1, 2)) +
                                           " no longer matches; left alone\n"))
      << y;
  const auto kills = n1->kills();
  ASSERT_EQ(kills.size(), 2u);
  for (const auto& k : kills) {
    EXPECT_EQ(k.mode(), pb::KILL_MODE_QUERY);
    ASSERT_TRUE(k.has_only_if());
    EXPECT_EQ(k.only_if().statement(), "SELECT SLEEP%");
    EXPECT_EQ(k.only_if().running_over().seconds(), 10);
  }
  EXPECT_TRUE(n2->kills().empty());  // its statement has run 1s only
}

TEST(ObpctlSelectors, ListWithSelectorsAndSort) {
  auto n1 = StartFake(1, {Busy(1, 1, "SELECT SLEEP(30)", 12), Busy(1, 2, "SELECT 2", 90),
                          MakeSession(1, 3, "app", "sys")});
  auto n2 = StartFake(2, {Busy(2, 1, "SELECT SLEEP(9)", 30)});
  const std::string fleet = FleetFile({{1, n1->address()}, {2, n2->address()}});
  CliRun r = Obpctl({"--fleet", fleet, "sessions", "list", "--running-over", "10", "--sort",
                     "time"});
  ASSERT_EQ(r.code, 0) << r;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << r;  // the idle session does not match
  EXPECT_TRUE(absl::StartsWith(lines[1], "1     " + std::to_string(MakeCsId(1, 2)))) << r;
  EXPECT_TRUE(absl::StartsWith(lines[2], "2     " + std::to_string(MakeCsId(2, 1)))) << r;
  EXPECT_TRUE(absl::StartsWith(lines[3], "1     " + std::to_string(MakeCsId(1, 1)))) << r;
  CliRun like = Obpctl({"--fleet", fleet, "sessions", "list", "--statement", "select sleep%",
                        "--command", "Query", "-o", "json"});
  ASSERT_EQ(like.code, 0) << like;
  // The two SLEEPs, whatever the case; not SELECT 2, not the idle one.
  EXPECT_EQ(Count(like.out, "\"proxy_sessid\""), 2u) << like;
  EXPECT_TRUE(absl::StrContains(like.out, "\"current_statement\":\"SELECT SLEEP(9)\"")) << like;
  EXPECT_EQ(Obpctl({"--fleet", fleet, "sessions", "list", "--sort", "cpu"}).code, 1);
  EXPECT_EQ(Obpctl({"--fleet", fleet, "sessions", "list", "--running-over", "x"}).code, 1);
}

TEST(ObpctlWatch, PipedJsonIsOneDocumentPerInterval) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys")});
  const std::string node = n1->address();
  const absl::Time start = absl::Now();
  CliRun r = Obpctl({"--node", node, "sessions", "list", "--watch", "200ms", "--count", "3",
                     "-o", "json"});
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(r.code, 0) << r;
  std::vector<std::string> docs = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(docs.size(), 3u) << r;
  for (const auto& d : docs) EXPECT_TRUE(absl::StartsWith(d, "{\"sessions\":[{")) << r;
  EXPECT_GE(took, absl::Milliseconds(400));  // two intervals between three frames
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "no escapes when not a terminal";

  CliRun table = Obpctl({"--node", node, "sessions", "list", "--watch", "0.1", "--count", "2"});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_EQ(Count(table.out, "Every 100ms: obpctl sessions list   "), 2u) << table;
  EXPECT_TRUE(absl::StartsWith(table.out, "Every 100ms: ")) << table;
  EXPECT_EQ(Count(table.out, "1 session, 1 of 1 nodes answered\n\nNODE  CS_ID"), 2u) << table;

  EXPECT_EQ(Obpctl({"--node", node, "sessions", "list", "--count", "2"}).code, 1);
  EXPECT_EQ(Obpctl({"--node", node, "sessions", "list", "--watch", "10ms"}).code, 1);
}

}  // namespace
}  // namespace obp::testing
