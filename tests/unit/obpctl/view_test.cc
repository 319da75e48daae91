// obpctl's pure pieces: table layout, durations, flag parsing, exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "obpctl/fleet_args.h"
#include "obpctl/report.h"
#include "obpctl/sessions_view.h"
#include "obpctl/table.h"
#include "tests/tools/fake_node/fake_node.h"

namespace obp::ctl {
namespace {

TEST(HumanDuration, TwoUnitsTruncated) {
  EXPECT_EQ(HumanDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(HumanDuration(-absl::Seconds(5)), "0s");
  EXPECT_EQ(HumanDuration(absl::Microseconds(300)), "0s");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(450)), "450ms");
  EXPECT_EQ(HumanDuration(absl::Seconds(12) + absl::Milliseconds(900)), "12s");
  EXPECT_EQ(HumanDuration(absl::Seconds(192)), "3m12s");
  EXPECT_EQ(HumanDuration(absl::Minutes(3)), "3m0s");
  EXPECT_EQ(HumanDuration(absl::Hours(2) + absl::Minutes(5) + absl::Seconds(59)), "2h5m");
  EXPECT_EQ(HumanDuration(absl::Hours(76)), "3d4h");
}

TEST(Table, AlignsColumnsWithoutTrailingBlanks) {
  Table t({"NODE", "CS_ID", "DB"});
  t.AddRow({"1", "262145", "testdb"});
  t.AddRow({"12", "7", ""});
  EXPECT_EQ(t.Render(),
            "NODE  CS_ID   DB\n"
            "1     262145  testdb\n"
            "12    7\n");
}

TEST(JsonString, Escapes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Flags, ParseDurations) {
  EXPECT_EQ(*ParseDurationFlag("--timeout", "500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDurationFlag("--timeout", "2s"), absl::Seconds(2));
  EXPECT_EQ(*ParseDurationFlag("--timeout", "1m"), absl::Minutes(1));
  EXPECT_EQ(*ParseDurationFlag("--timeout", "1m30s"), absl::Seconds(90));
  // A bare number is seconds.
  EXPECT_EQ(*ParseDurationFlag("--timeout", "2"), absl::Seconds(2));
  EXPECT_EQ(*ParseDurationFlag("--timeout", "0.5"), absl::Milliseconds(500));
  for (const char* bad : {"", "0", "0.0", "-1", "-1s", "abc", "inf", "1e3", "2.", ".5", "1.2.3"}) {
    EXPECT_FALSE(ParseDurationFlag("--timeout", bad).ok()) << bad;
  }
}

TEST(Flags, SessionStateNames) {
  EXPECT_EQ(*ParseSessionState("MCS_KEEP_ALIVE"), fleet::pb::MCS_KEEP_ALIVE);
  EXPECT_EQ(*ParseSessionState("active_reader"), fleet::pb::MCS_ACTIVE_READER);
  EXPECT_FALSE(ParseSessionState("sleeping").ok());
  EXPECT_FALSE(ParseSessionState("CLIENT_SESSION_STATE_UNSPECIFIED").ok());
}

TEST(Flags, TargetsFromFleetFileAndNodes) {
  const std::string path = ::testing::TempDir() + "/obpctl_view_test_fleet.toml";
  {
    std::ofstream f(path);
    f << "[[node]]\nid = 1\ngrpc = \"127.0.0.1:7001\"\n"
         "[[node]]\nid = 2\ngrpc = \"127.0.0.1:7002\"\n";
  }
  GlobalFlags flags;
  flags.fleet_file = path;
  flags.nodes = {"127.0.0.1:7002", "127.0.0.1:7003"};
  auto targets = TargetsFromFlags(flags);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 3u);  // 7002 given twice is kept once, with its id
  EXPECT_EQ((*targets)[1].id, 2u);
  EXPECT_EQ((*targets)[2].id, 0u);
  EXPECT_EQ((*targets)[2].address, "127.0.0.1:7003");
  std::remove(path.c_str());

  EXPECT_FALSE(TargetsFromFlags(GlobalFlags{}).ok());
  GlobalFlags bad;
  bad.nodes = {"nocolon"};
  EXPECT_FALSE(TargetsFromFlags(bad).ok());
}

TEST(Flags, DiscoverDnsResolvesLocalhost) {
  auto found = DiscoverDns("dns:localhost:7100");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_NE(std::find(found->begin(), found->end(), "127.0.0.1:7100"), found->end());
  EXPECT_FALSE(DiscoverDns("localhost:7100").ok());
  EXPECT_FALSE(DiscoverDns("dns:localhost").ok());
}

TEST(Report, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("")), 1);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("")), 2);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("")), 2);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("")), 2);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("")), 3);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("")), 3);
  EXPECT_EQ(WorseExit(3, 2), 2);
  EXPECT_EQ(WorseExit(1, 3), 3);
  EXPECT_EQ(WorseExit(0, 1), 1);
  EXPECT_EQ(StatusText(absl::DeadlineExceededError("Deadline Exceeded")), "deadline exceeded");
  EXPECT_EQ(StatusText(absl::UnavailableError("connection refused")),
            "unavailable: connection refused");
  EXPECT_EQ(NodeLabel({2, "127.0.0.1:7002"}), "node 2 (127.0.0.1:7002)");
  EXPECT_EQ(NodeLabel({0, "127.0.0.1:7002"}), "node 127.0.0.1:7002");
}

TEST(SessionsView, TableRows) {
  auto s = testing::MakeSession(3, 1, "app", "sys", {55});
  s.set_db("testdb");
  auto t = SessionsTable({s}, /*wide=*/true).Render();
  EXPECT_NE(t.find("NODE  CS_ID"), std::string::npos) << t;
  EXPECT_NE(t.find("MCS_KEEP_ALIVE"), std::string::npos);
  EXPECT_NE(t.find("1m12s"), std::string::npos);  // idle of seq 1
  EXPECT_NE(t.find("primary:55"), std::string::npos);
  EXPECT_NE(t.find("testdb"), std::string::npos);
  auto no_db = SessionsTable({testing::MakeSession(3, 2, "app", "sys")}, false).Render();
  EXPECT_NE(no_db.find("NULL"), std::string::npos);
}

}  // namespace
}  // namespace obp::ctl
