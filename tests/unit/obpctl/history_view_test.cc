// obpctl's pure pieces for SPEC §9: the history merge, table, notes and
// reasons; the selector flags as a SessionFilter; `sessions list --sort`; and
// the --watch frame layout.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/history_view.h"
#include "obpctl/selectors.h"
#include "obpctl/sessions_view.h"
#include "obpctl/watch.h"
#include "tests/tools/fake_node/fake_node.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;
using google::protobuf::util::TimeUtil;
using testing::MakeEnded;

const absl::Time kNow = absl::FromUnixSeconds(1764576000);  // 2025-12-01T08:00:00Z
const absl::TimeZone kUtc = absl::UTCTimeZone();

fleet::NodeResult<pb::ListEndedSessionsResponse> Answer(uint32_t node,
                                                        std::vector<pb::EndedSession> ended) {
  fleet::NodeResult<pb::ListEndedSessionsResponse> r;
  r.node = {node, "127.0.0.1:700" + std::to_string(node)};
  r.response.set_node_id(node);
  for (auto& e : ended) *r.response.add_sessions() = std::move(e);
  return r;
}

TEST(HistoryView, MergesNodesByEndTimeOldestFirst) {
  EndedResults results;
  results.push_back(Answer(2, {MakeEnded(2, 1, "app", kNow - absl::Seconds(50), "client_quit"),
                               MakeEnded(2, 2, "app", kNow - absl::Seconds(10), "killed")}));
  results.push_back(Answer(1, {MakeEnded(1, 1, "bob", kNow - absl::Seconds(30), "drain"),
                               MakeEnded(1, 2, "bob", kNow - absl::Seconds(10), "error")}));
  auto down = Answer(3, {MakeEnded(3, 1, "x", kNow, "error")});
  down.status = absl::DeadlineExceededError("deadline exceeded");
  results.push_back(down);
  std::vector<std::pair<uint32_t, uint32_t>> order;
  for (const auto& s : MergeEnded(results)) order.emplace_back(s.node_id(), s.cs_id() & 0x3FFFF);
  // Same end time: node 1 before node 2. The failed node's answer is ignored.
  EXPECT_EQ(order, (std::vector<std::pair<uint32_t, uint32_t>>{{2, 1}, {1, 1}, {1, 2}, {2, 2}}));
}

TEST(HistoryView, SessionWithoutNodeIdGetsItsNodes) {
  auto e = MakeEnded(4, 1, "app", kNow, "client_quit");
  e.clear_node_id();
  auto merged = MergeEnded({Answer(4, {e})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].node_id(), 4u);
}

TEST(HistoryView, ShortTimeShowsTheDateOnlyWhenNotToday) {
  EXPECT_EQ(ShortTime(kNow - absl::Minutes(3), kNow, kUtc), "07:57:00");
  EXPECT_EQ(ShortTime(kNow - absl::Hours(9), kNow, kUtc), "2025-11-30 23:00:00");
  // The day is the local one: 23:00 UTC is already tomorrow in UTC+2.
  const absl::TimeZone plus2 = absl::FixedTimeZone(2 * 3600);
  EXPECT_EQ(ShortTime(kNow - absl::Hours(9), kNow, plus2), "01:00:00");
}

TEST(HistoryView, DetailNamesWhoKilled) {
  auto killed = MakeEnded(1, 1, "app", kNow, "killed", "runaway");
  killed.set_actor("token:ops");
  killed.set_via("grpc");
  EXPECT_EQ(EndDetail(killed), "by token:ops via grpc: runaway");
  killed.set_detail("");
  EXPECT_EQ(EndDetail(killed), "by token:ops via grpc");
  auto drained = MakeEnded(1, 2, "app", kNow, "drain", "killed at drain_timeout_s");
  drained.set_actor("drain (node 1)");
  EXPECT_EQ(EndDetail(drained), "by drain (node 1): killed at drain_timeout_s");
  EXPECT_EQ(EndDetail(MakeEnded(1, 3, "app", kNow, "error", "protocol error")), "protocol error");
  EXPECT_EQ(EndDetail(MakeEnded(1, 4, "app", kNow, "drain", "closed while idle")),
            "closed while idle");
}

TEST(HistoryView, TableAndWideTable) {
  auto e = MakeEnded(2, 7, "app", kNow - absl::Seconds(5), "killed", "stuck\nreport");
  e.set_actor("admin@sys from 127.0.0.1:5000");
  e.set_via("sql");
  e.set_db("testdb");
  e.set_bytes_from_client(120);
  e.set_bytes_to_client(4096);
  const std::string t = HistoryTable({e}, false, kNow, kUtc).Render();
  const std::vector<std::string> lines = absl::StrSplit(t, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << t;
  EXPECT_TRUE(absl::StartsWith(lines[0], "ENDED     NODE  CS_ID   USER  TENANT  HOST")) << t;
  EXPECT_TRUE(absl::StartsWith(lines[1], "07:59:55  2     524295  app   sys")) << t;
  EXPECT_TRUE(absl::EndsWith(lines[1], "killed  by admin@sys from 127.0.0.1:5000 via sql: stuck report"))
      << t;
  const std::string w = HistoryTable({e}, true, kNow, kUtc).Render();
  EXPECT_NE(w.find("DB      CREATED   DURATION  STMTS  TRX  IN   OUT   LAST_STATEMENT"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("testdb  07:58:55  1m0s      3      0    120  4096  SELECT 1"),
            std::string::npos)
      << w;
}

TEST(HistoryView, ReasonsAreTheNineWords) {
  for (const char* r : kEndReasons) EXPECT_TRUE(CheckEndReason(r).ok()) << r;
  EXPECT_EQ(std::size(kEndReasons), 9u);
  const absl::Status bad = CheckEndReason("kiled");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.message(), "unknown reason \"kiled\"")) << bad;
  EXPECT_TRUE(absl::StrContains(bad.message(), "client_quit, client_gone, killed,")) << bad;
  EXPECT_FALSE(CheckEndReason("KILLED").ok());
}

TEST(HistoryView, NotesOnlyForNodesThatForgotWhatWasAskedFor) {
  auto forgot = Answer(1, {});
  *forgot.response.mutable_kept_since() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(kNow - absl::Minutes(5)));
  forgot.response.set_forgotten(37);
  forgot.response.set_history_size(100);
  auto kept_all = Answer(2, {});  // remembers from before --since: no note
  *kept_all.response.mutable_kept_since() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(kNow - absl::Hours(2)));
  kept_all.response.set_forgotten(5);
  auto never_forgot = Answer(3, {});  // forgotten 0: no note
  *never_forgot.response.mutable_kept_since() = forgot.response.kept_since();
  const EndedResults results = {forgot, kept_all, never_forgot};
  EXPECT_EQ(ForgottenNotes(results, kNow - absl::Minutes(10), kNow, kUtc),
            (std::vector<std::string>{"node 1 remembers sessions only since 07:55:00 "
                                      "(history_size 100; 37 older ones forgotten)"}));
  // No --since asks for everything: every node that forgot says so.
  EXPECT_EQ(ForgottenNotes(results, std::nullopt, kNow, kUtc).size(), 2u);
  EXPECT_TRUE(ForgottenNotes(results, kNow - absl::Minutes(1), kNow, kUtc).empty());
}

TEST(HistoryView, NodesJson) {
  auto a = Answer(1, {});
  *a.response.mutable_kept_since() = TimeUtil::SecondsToTimestamp(1764576000);
  a.response.set_forgotten(12);
  a.response.set_history_size(100);
  auto b = Answer(2, {});
  b.response.set_history_size(10000);
  EXPECT_EQ(HistoryNodesJson({a, b}),
            "[{\"node_id\":1,\"address\":\"127.0.0.1:7001\",\"kept_since\":"
            "\"2025-12-01T08:00:00Z\",\"forgotten\":\"12\",\"history_size\":100},"
            "{\"node_id\":2,\"address\":\"127.0.0.1:7002\",\"kept_since\":null,"
            "\"forgotten\":\"0\",\"history_size\":10000}]");
}

// A selector with one flag given.
Selector One(std::string Selector::*flag, const std::string& value) {
  Selector s;
  s.*flag = value;
  return s;
}

TEST(Selectors, BuildsTheSessionFilter) {
  Selector s;
  EXPECT_TRUE(s.Empty());
  s.user = "app";
  s.host = "10.0.*";
  s.idle_over = "30";
  s.running_over = "1m30s";
  s.statement = "SELECT SLEEP%";
  s.command = "Query";
  EXPECT_FALSE(s.Empty());
  EXPECT_TRUE(s.HasStatementSelector());
  auto f = BuildSessionFilter(s);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->user(), "app");
  EXPECT_EQ(f->client_host(), "10.0.*");
  EXPECT_EQ(f->idle_over().seconds(), 30);
  EXPECT_EQ(f->running_over().seconds(), 90);
  EXPECT_EQ(f->statement(), "SELECT SLEEP%");
  EXPECT_EQ(f->command(), "Query");
  // Not given: left unset, which the node reads as "any".
  auto plain = BuildSessionFilter(One(&Selector::user, "app"));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_idle_over());
  EXPECT_FALSE(plain->has_running_over());
  EXPECT_FALSE(One(&Selector::command, "COM_QUERY").Empty());
}

TEST(Selectors, RejectsBadValuesNamingTheFlag) {
  auto bad_running = BuildSessionFilter(One(&Selector::running_over, "soon"));
  EXPECT_EQ(bad_running.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad_running.status().message(), "--running-over:"));
  EXPECT_FALSE(BuildSessionFilter(One(&Selector::running_over, "0")).ok());
  EXPECT_FALSE(BuildSessionFilter(One(&Selector::statement, "  ")).ok());
  EXPECT_FALSE(BuildSessionFilter(One(&Selector::state, "sleeping")).ok());
  EXPECT_EQ(BuildSessionFilter(One(&Selector::state, "active_reader"))->state(),
            pb::MCS_ACTIVE_READER);
}

pb::Session Running(uint32_t node, uint32_t seq, int64_t stmt_s, int64_t idle_s) {
  auto s = testing::MakeSession(node, seq, "app", "sys");
  *s.mutable_statement_time() = TimeUtil::SecondsToDuration(stmt_s);
  *s.mutable_idle() = TimeUtil::SecondsToDuration(idle_s);
  return s;
}

std::vector<std::pair<uint32_t, uint32_t>> Ids(const std::vector<pb::Session>& v) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const auto& s : v) out.emplace_back(s.node_id(), s.cs_id() & 0x3FFFF);
  return out;
}

TEST(SessionsView, SortByTimeIdleOrId) {
  using Ids_t = std::vector<std::pair<uint32_t, uint32_t>>;
  std::vector<pb::Session> v = {Running(2, 1, 5, 0), Running(1, 2, 0, 300), Running(1, 1, 30, 0),
                                Running(3, 1, 5, 0), Running(1, 3, 0, 20)};
  SortSessions(v, SessionOrder::kTime);  // longest statement first; ties by node, cs_id
  EXPECT_EQ(Ids(v), (Ids_t{{1, 1}, {2, 1}, {3, 1}, {1, 2}, {1, 3}}));
  SortSessions(v, SessionOrder::kIdle);
  EXPECT_EQ(Ids(v), (Ids_t{{1, 2}, {1, 3}, {1, 1}, {2, 1}, {3, 1}}));
  SortSessions(v, SessionOrder::kId);
  EXPECT_EQ(Ids(v), (Ids_t{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {3, 1}}));
  EXPECT_EQ(*ParseSessionOrder("time"), SessionOrder::kTime);
  EXPECT_FALSE(ParseSessionOrder("cpu").ok());
}

TEST(Watch, IntervalAtLeastATenthOfASecond) {
  EXPECT_EQ(*ParseWatchInterval("2"), absl::Seconds(2));
  EXPECT_EQ(*ParseWatchInterval("100ms"), absl::Milliseconds(100));
  EXPECT_FALSE(ParseWatchInterval("50ms").ok());
  EXPECT_FALSE(ParseWatchInterval("0").ok());
  EXPECT_TRUE(absl::StartsWith(ParseWatchInterval("x").status().message(), "--watch:"));
}

TEST(Watch, HeaderSaysIntervalTimeAndCounts) {
  WatchOptions o{absl::Seconds(2), 0, false, "obpctl sessions list"};
  WatchFrame f;
  f.summary = "3 sessions, 2 of 3 nodes answered";
  EXPECT_EQ(WatchHeader(o, f, kNow, kUtc),
            "Every 2s: obpctl sessions list   08:00:00   3 sessions, 2 of 3 nodes answered");
}

TEST(Watch, FitToScreenCutsRowsAndColumns) {
  const std::string text = "header\nrow1 long line\nrow2\nrow3\nrow4\n";
  EXPECT_EQ(FitToScreen(text, 0, 0), text);
  EXPECT_EQ(FitToScreen(text, 5, 0), text);
  EXPECT_EQ(FitToScreen(text, 4, 0), "header\nrow1 long line\nrow2\n... 2 more lines\n");
  EXPECT_EQ(FitToScreen(text, 0, 6), "header\nrow1 l\nrow2\nrow3\nrow4\n");
  EXPECT_EQ(FitToScreen("", 3, 3), "");
}

TEST(Watch, TerminalFrameRewritesInPlace) {
  // Home, each line cleared to its end, the rest of the screen cleared.
  EXPECT_EQ(TerminalFrame("a\nbc\n", false), "\x1b[Ha\x1b[K\nbc\x1b[K\n\x1b[J");
  // The first frame also hides the cursor and clears the screen once.
  EXPECT_EQ(TerminalFrame("a\n", true), "\x1b[?25l\x1b[H\x1b[2Ja\x1b[K\n\x1b[J");
}

}  // namespace
}  // namespace obp::ctl
