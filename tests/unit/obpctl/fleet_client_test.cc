// obp_fleet_client against in-process fake nodes: fan-out, paging, a hung
// node, connection-id resolution, tokens, status mapping.
#include "common/fleet_client/fleet_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <latch>

#include "absl/time/clock.h"

#include "common/core/ids.h"
#include "common/fleet_client/grpc_status.h"
#include "obpctl/sessions_view.h"
#include "tests/unit/obpctl/fakes.h"

namespace obp::testing {

std::string DeadAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

namespace {

using fleet::ClientOptions;
using fleet::FleetClient;

std::unique_ptr<FleetClient> Client(std::vector<fleet::NodeTarget> targets,
                                    ClientOptions options = {}) {
  auto c = FleetClient::Create(std::move(targets), std::move(options));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

TEST(GrpcStatus, RoundTripsEveryCode) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status in(static_cast<absl::StatusCode>(code), code == 0 ? "" : "msg");
    const grpc::Status g = fleet::ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    const absl::Status back = fleet::FromGrpcStatus(g);
    EXPECT_EQ(back, in) << code;
  }
  EXPECT_EQ(fleet::FromGrpcStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late")),
            absl::DeadlineExceededError("late"));
  EXPECT_EQ(fleet::CodeText(absl::StatusCode::kDeadlineExceeded), "deadline exceeded");
}

TEST(FleetClient, CreateRejectsBadOptions) {
  EXPECT_FALSE(FleetClient::Create({}, {}).ok());
  ClientOptions o;
  o.cert_file = "/nonexistent.pem";
  EXPECT_EQ(FleetClient::Create({{1, "127.0.0.1:1"}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.ca_file = "/nonexistent-ca.pem";
  EXPECT_EQ(FleetClient::Create({{1, "127.0.0.1:1"}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FleetClient, ListMergesPagesAndNodesSorted) {
  auto n1 = StartFake(1, {MakeSession(1, 3, "app", "sys"), MakeSession(1, 1, "bob", "sys"),
                          MakeSession(1, 2, "app", "sys"), MakeSession(1, 5, "app", "t2"),
                          MakeSession(1, 4, "app", "sys")});
  auto n2 = StartFake(2, {MakeSession(2, 2, "app", "sys"), MakeSession(2, 1, "alice", "sys")});
  auto n3 = StartFake(3, {});
  // Out of order on purpose: the merge sorts by node, then cs_id.
  auto client = Client({Target(*n3, 3), Target(*n1, 1), Target(*n2, 2)});
  auto results = client->ListSessionsAllSync({});
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(results[1].response.sessions_size(), 5);  // 3 pages of at most 2
  auto merged = ctl::MergeSessions(results);
  ASSERT_EQ(merged.size(), 7u);
  std::vector<std::pair<uint32_t, uint32_t>> order;
  for (const auto& s : merged) order.emplace_back(s.node_id(), s.cs_id() & 0x3FFFF);
  EXPECT_EQ(order, (std::vector<std::pair<uint32_t, uint32_t>>{
                       {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {2, 1}, {2, 2}}));

  fleet::pb::ListSessionsRequest only_app_sys;
  only_app_sys.mutable_filter()->set_user("app");
  only_app_sys.mutable_filter()->set_tenant("sys");
  EXPECT_EQ(ctl::MergeSessions(client->ListSessionsAllSync(only_app_sys)).size(), 4u);
}

TEST(FleetClient, HungNodeTimesOutOthersStillAnswer) {
  auto ok = StartFake(1, {MakeSession(1, 1, "app", "sys")});
  auto hung = StartFake(2, {MakeSession(2, 1, "app", "sys")}, /*hang=*/true);
  const std::string dead = DeadAddress();
  ClientOptions o;
  o.timeout = absl::Milliseconds(300);
  auto client = Client({Target(*ok, 1), Target(*hung, 2), {3, dead}}, o);
  auto results = client->ListSessionsAllSync({});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[0].response.sessions_size(), 1);
  EXPECT_EQ(results[1].status.code(), absl::StatusCode::kDeadlineExceeded) << results[1].status;
  EXPECT_EQ(results[1].node.id, 2u);
  EXPECT_FALSE(results[2].status.ok());
  EXPECT_EQ(results[2].node.address, dead);
}

TEST(FleetClient, AsyncCallDoesNotBlockCaller) {
  auto hung = StartFake(1, {}, /*hang=*/true);
  ClientOptions o;
  o.timeout = absl::Seconds(1);
  auto client = Client({Target(*hung, 1)}, o);
  std::latch done(1);
  client->ListSessionsAll({}, [&](auto results) {
    EXPECT_EQ(results[0].status.code(), absl::StatusCode::kDeadlineExceeded);
    done.count_down();
  });
  // The hung node holds the answer for the full second: the call must
  // have returned long before its callback.
  EXPECT_FALSE(done.try_wait());
  done.wait();
}

TEST(FleetClient, DestroyCancelsCallsInFlight) {
  auto hung = StartFake(1, {}, /*hang=*/true);
  ClientOptions o;
  o.timeout = absl::Seconds(30);
  auto client = Client({Target(*hung, 1)}, o);
  std::atomic<int> calls{0};
  absl::StatusCode code = absl::StatusCode::kOk;
  client->ListSessionsAll({}, [&](auto results) {
    code = results[0].status.code();
    ++calls;
  });
  client->KillSession(0, {}, [&](auto r) { ++calls; });
  const absl::Time start = absl::Now();
  client.reset();  // cancels and waits for both callbacks
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(code, absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));  // not the 30 s deadline
}

TEST(FleetClient, ResolveConnectionIdZeroOneTwoMatches) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys", {100, 200}),
                          MakeSession(1, 2, "app", "sys", {300})});
  auto n2 = StartFake(2, {MakeSession(2, 1, "app", "sys", {300}),
                          MakeSession(2, 2, "app", "sys", {400, 400})});
  auto client = Client({Target(*n1, 1), Target(*n2, 2)});

  auto none = client->ResolveConnectionIdSync(999, "");
  EXPECT_TRUE(none.matches.empty());
  EXPECT_EQ(none.Unique(999).status().code(), absl::StatusCode::kNotFound);

  auto one = client->ResolveConnectionIdSync(200, "");
  auto unique = one.Unique(200);
  ASSERT_TRUE(unique.ok()) << unique.status();
  EXPECT_EQ(unique->node.id, 1u);
  EXPECT_EQ(unique->cs_id, MakeCsId(1, 1));
  EXPECT_EQ(unique->backend, "replica1");

  auto two = client->ResolveConnectionIdSync(300, "");
  EXPECT_EQ(two.matches.size(), 2u);
  auto refused = two.Unique(300);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(std::to_string(MakeCsId(1, 2))), std::string::npos);
  EXPECT_NE(refused.status().message().find(std::to_string(MakeCsId(2, 1))), std::string::npos);

  // Ambiguous within one node (two backends), settled by naming the backend.
  EXPECT_EQ(client->ResolveConnectionIdSync(400, "").Unique(400).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto by_backend = client->ResolveConnectionIdSync(400, "replica1").Unique(400);
  ASSERT_TRUE(by_backend.ok()) << by_backend.status();
  EXPECT_EQ(by_backend->cs_id, MakeCsId(2, 2));
}

TEST(FleetClient, ResolveRefusesWhenANodeIsUnreachable) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys", {100})});
  ClientOptions o;
  o.timeout = absl::Milliseconds(500);
  auto client = Client({Target(*n1, 1), {2, DeadAddress()}}, o);
  auto r = client->ResolveConnectionIdSync(100, "");
  EXPECT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.errors.size(), 1u);
  auto u = r.Unique(100);
  EXPECT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("node 2"), std::string::npos) << u.status();
}

TEST(FleetClient, TokenArrivesAsBearerMetadata) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys")}, false,
                      {{"s3cret", "operator"}, {"look", "viewer"}});
  ClientOptions o;
  o.token = "s3cret";
  auto client = Client({Target(*n1, 1)}, o);
  EXPECT_TRUE(client->ListSessionsAllSync({})[0].status.ok());
  EXPECT_EQ(n1->last_authorization(), "Bearer s3cret");

  auto anonymous = Client({Target(*n1, 1)});
  EXPECT_EQ(anonymous->GetNodeInfoAllSync()[0].status.code(),
            absl::StatusCode::kUnauthenticated);

  o.token = "look";
  auto viewer = Client({Target(*n1, 1)}, o);
  fleet::pb::KillSessionRequest kill;
  kill.mutable_ref()->set_cs_id(MakeCsId(1, 1));
  EXPECT_EQ(viewer->KillSessionSync(0, kill).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(FleetClient, LearnsNodeIdsAndChecksConfiguredOnes) {
  auto n1 = StartFake(7, {});
  auto n2 = StartFake(9, {});
  auto client = Client({Target(*n1, 0), Target(*n2, 8)});
  EXPECT_FALSE(client->FindNode(7).has_value());
  auto results = client->GetNodeInfoAllSync();
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[0].node.id, 7u);
  EXPECT_EQ(client->FindNode(7), std::optional<size_t>(0));
  EXPECT_EQ(results[1].status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FleetClient, KillSessionDryRunAndReal) {
  auto n1 = StartFake(1, {MakeSession(1, 1, "app", "sys", {100})});
  auto client = Client({Target(*n1, 1)});
  fleet::pb::KillSessionRequest kill;
  kill.mutable_ref()->set_cs_id(MakeCsId(1, 1));
  kill.set_dry_run(true);
  auto dry = client->KillSessionSync(0, kill);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->outcome(), fleet::pb::KILL_OUTCOME_WOULD_KILL);
  kill.set_dry_run(false);
  auto real = client->KillSessionSync(0, kill);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->outcome(), fleet::pb::KILL_OUTCOME_KILLED);
  EXPECT_EQ(client->KillSessionSync(0, kill).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(n1->kills().size(), 3u);
}

}  // namespace
}  // namespace obp::testing
