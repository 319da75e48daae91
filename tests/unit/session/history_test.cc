// SessionHistory (SPEC §9): a bounded ring of ended sessions, read by filter and page.
#include "proxyd/session/history.h"

#include <gtest/gtest.h>

#include <string>

namespace obp::session {
namespace {

EndedSession Entry(uint32_t cs_id, std::string user, EndReason reason,
                   absl::Time ended = absl::UnixEpoch()) {
  EndedSession::Text text;
  text.user = user;
  text.tenant = "sys";
  text.host = "127.0.0.1:5000";
  text.last_statement = "SELECT 1";
  EndedSession e(text, /*has_db=*/false);
  e.cs_id = cs_id;
  e.reason = reason;
  e.ended = ended;
  return e;
}

std::vector<uint32_t> Ids(const HistoryPage& page) {
  std::vector<uint32_t> ids;
  for (const auto& e : page.entries) ids.push_back(e.cs_id);
  return ids;
}

TEST(SessionHistoryTest, KeepsExactlyCapacityNewestFirstOut) {
  SessionHistory h(3);
  for (uint32_t id = 1; id <= 5; ++id) h.Add(Entry(id, "app", EndReason::kClientQuit));
  HistoryPage page = h.Find({}, 100);
  EXPECT_EQ(Ids(page), (std::vector<uint32_t>{3, 4, 5}));
  EXPECT_EQ(page.forgotten, 2u);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(page.entries.front().seq, 3u);
}

TEST(SessionHistoryTest, PacksTextFieldsAndCutsThemAtTheirBounds) {
  EndedSession::Text text;
  std::string user = "u";
  std::string statement(5000, 's');
  text.user = user;
  text.db = "testdb";
  text.last_statement = statement;
  text.detail = "why";
  EndedSession e(text, /*has_db=*/true);
  EXPECT_EQ(e.user(), "u");
  EXPECT_EQ(e.db(), "testdb");
  EXPECT_TRUE(e.has_db());
  EXPECT_EQ(e.last_statement().size(), EndedSession::kMaxStatement);
  EXPECT_EQ(e.detail(), "why");
  EXPECT_EQ(e.actor(), "");
}

TEST(SessionHistoryTest, FiltersAndPagesBySeq) {
  SessionHistory h(10);
  h.Add(Entry(1, "app", EndReason::kClientQuit, absl::FromUnixSeconds(100)));
  h.Add(Entry(2, "bob", EndReason::kKilled, absl::FromUnixSeconds(200)));
  h.Add(Entry(3, "app", EndReason::kKilled, absl::FromUnixSeconds(300)));
  HistoryFilter killed;
  killed.reason = EndReason::kKilled;
  EXPECT_EQ(Ids(h.Find(killed, 10)), (std::vector<uint32_t>{2, 3}));
  HistoryFilter app_since;
  app_since.user = "app";
  app_since.since = absl::FromUnixSeconds(150);
  EXPECT_EQ(Ids(h.Find(app_since, 10)), (std::vector<uint32_t>{3}));
  HistoryPage first = h.Find({}, 2);
  EXPECT_TRUE(first.more);
  HistoryFilter next;
  next.after_seq = first.entries.back().seq;
  HistoryPage second = h.Find(next, 2);
  EXPECT_EQ(Ids(second), (std::vector<uint32_t>{3}));
  EXPECT_FALSE(second.more);
  HistoryFilter own;
  own.own_user_tenant.emplace("bob", "sys");
  EXPECT_EQ(Ids(h.Find(own, 10)), (std::vector<uint32_t>{2}));
  HistoryFilter like;
  like.user_like = "A%";
  EXPECT_EQ(Ids(h.Find(like, 10)), (std::vector<uint32_t>{1, 3}));
  HistoryFilter host;
  host.host = "127.0.0.*";
  EXPECT_EQ(h.Find(host, 10).entries.size(), 3u);
  host.host = "127.0.0.1";
  EXPECT_EQ(h.Find(host, 10).entries.size(), 3u);
  host.host = "10.0.0.1";
  EXPECT_TRUE(h.Find(host, 10).entries.empty());
}

TEST(SessionHistoryTest, ResizeKeepsTheNewest) {
  SessionHistory h(4);
  for (uint32_t id = 1; id <= 6; ++id) h.Add(Entry(id, "app", EndReason::kClientGone));
  h.Resize(2);
  EXPECT_EQ(Ids(h.Find({}, 10)), (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(h.Find({}, 10).forgotten, 4u);
  h.Resize(5);
  h.Add(Entry(7, "app", EndReason::kClientGone));
  EXPECT_EQ(Ids(h.Find({}, 10)), (std::vector<uint32_t>{5, 6, 7}));
  h.Resize(0);
  h.Add(Entry(8, "app", EndReason::kClientGone));
  EXPECT_EQ(h.size(), 0u);
}

TEST(SessionHistoryTest, ReasonNamesRoundTrip) {
  for (int i = 0; i < kEndReasonCount; ++i) {
    const auto r = static_cast<EndReason>(i);
    EXPECT_EQ(ParseEndReason(EndReasonName(r)), r);
  }
  EXPECT_FALSE(ParseEndReason("vanished").has_value());
  EXPECT_STREQ(EndReasonName(EndReason::kBackendLost), "backend_lost");
}

// SPEC §9's memory target: 10,000 entries of a typical session (short names, a
// sysbench-sized statement) in well under 4 MiB.
TEST(SessionHistoryTest, TenThousandTypicalEntriesFitInFourMiB) {
  SessionHistory h(10000);
  for (uint32_t id = 1; id <= 10000; ++id) {
    EndedSession::Text text;
    text.user = "sbtest";
    text.tenant = "sys";
    text.host = "127.0.0.1:54321";
    text.db = "sbtest";
    text.last_statement = "SELECT c FROM sbtest1 WHERE id=5012";
    EndedSession e(text, true);
    e.cs_id = id;
    h.Add(std::move(e));
  }
  EXPECT_LT(h.MemoryBytes(), size_t{4} << 20) << h.MemoryBytes();
}

}  // namespace
}  // namespace obp::session
