// SessionHandle: facts and counters in Info(), and the kill verbs running on the
// session's own executor, or doing nothing once the session is gone.
#include "proxyd/session/session_handle.h"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

namespace obp::session {
namespace {

// Records which verbs ran and whether they ran on the session's io_context.
class FakeSession : public SessionControl {
 public:
  explicit FakeSession(asio::io_context* io) : io_(io) {}
  asio::awaitable<absl::Status> Terminate(SessionEnd why) override {
    on_own_thread = io_->get_executor().running_in_this_thread();
    terminated = why.detail;
    co_return absl::OkStatus();
  }
  asio::awaitable<absl::Status> TerminateServerSession(uint32_t ss_id) override {
    on_own_thread = io_->get_executor().running_in_this_thread();
    co_return ss_id == 7 ? absl::OkStatus() : UnknownThreadId(ss_id);
  }
  asio::awaitable<absl::Status> InterruptQuery() override {
    on_own_thread = io_->get_executor().running_in_this_thread();
    ++interrupts;
    co_return absl::OkStatus();
  }
  void CloseIfIdle() override {
    on_own_thread = io_->get_executor().running_in_this_thread();
    ++idle_closes;
    closed.set_value();
  }
  asio::io_context* io_;
  bool on_own_thread = false;
  std::string terminated;
  int interrupts = 0;
  int idle_closes = 0;
  std::promise<void> closed;
};

class SessionHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session_io_thread_ = std::thread([this] { session_io_.run(); });
    caller_io_thread_ = std::thread([this] { caller_io_.run(); });
  }
  void TearDown() override {
    session_guard_.reset();
    caller_guard_.reset();
    session_io_thread_.join();
    caller_io_thread_.join();
  }
  // Runs `verb` as a coroutine on the caller's io_context and waits for it.
  template <class T>
  T Call(asio::awaitable<T> verb) {
    return asio::co_spawn(caller_io_, std::move(verb), asio::use_future).get();
  }

  asio::io_context session_io_, caller_io_;
  asio::executor_work_guard<asio::io_context::executor_type> session_guard_{
      session_io_.get_executor()};
  asio::executor_work_guard<asio::io_context::executor_type> caller_guard_{
      caller_io_.get_executor()};
  std::thread session_io_thread_, caller_io_thread_;
};

TEST_F(SessionHandleTest, InfoCarriesFactsAndCounters) {
  auto fake = std::make_shared<FakeSession>(&session_io_);
  absl::Time created = absl::FromUnixSeconds(1700000000);
  SessionHandle h(SessionFacts{42, "10.0.0.5", 5000, created, 123}, session_io_.get_executor(),
                  fake);
  h.AssignCsId((3u << 18) | 9);
  h.Update([](SessionInfo& info) {
    info.user = "app";
    info.cs_id = 1;  // facts win over whatever the snapshot holds
  });
  h.client_traffic()->AddRead(10);
  h.client_traffic()->AddWritten(25);
  SessionInfo info = h.Info();
  EXPECT_EQ(info.cs_id, (3u << 18) | 9);
  EXPECT_EQ(info.proxy_sessid, 42u);
  EXPECT_EQ(info.host_ip, "10.0.0.5");
  EXPECT_EQ(info.host_port, 5000);
  EXPECT_EQ(info.created, created);
  EXPECT_EQ(info.tid, 123);
  EXPECT_EQ(info.user, "app");
  EXPECT_EQ(info.bytes_from_client, 10u);
  EXPECT_EQ(info.bytes_to_client, 25u);
}

TEST_F(SessionHandleTest, VerbsRunOnTheSessionsExecutor) {
  auto fake = std::make_shared<FakeSession>(&session_io_);
  auto h = std::make_shared<SessionHandle>(SessionFacts{}, session_io_.get_executor(), fake);
  EXPECT_TRUE(Call(h->Terminate(SessionEnd{EndReason::kKilled, KillVia::kSql, "a", "test"})).ok());
  EXPECT_EQ(fake->terminated, "test");
  EXPECT_TRUE(fake->on_own_thread);
  fake->on_own_thread = false;
  EXPECT_TRUE(Call(h->TerminateServerSession(7)).ok());
  EXPECT_TRUE(fake->on_own_thread);
  EXPECT_TRUE(absl::IsNotFound(Call(h->TerminateServerSession(8))));
  EXPECT_TRUE(Call(h->InterruptQuery()).ok());
  EXPECT_EQ(fake->interrupts, 1);
}

// SPEC §9: a guarded verb acts only if its condition holds on the session's own
// thread, against what the session has published.
TEST_F(SessionHandleTest, GuardedVerbsActOnlyWhileTheConditionHolds) {
  auto fake = std::make_shared<FakeSession>(&session_io_);
  auto h = std::make_shared<SessionHandle>(SessionFacts{}, session_io_.get_executor(), fake);
  h->Update([](SessionInfo& info) { info.current_statement = "SELECT SLEEP(30)"; });
  bool checked_on_own_thread = false;
  auto sleeping = [&](const SessionInfo& info) {
    checked_on_own_thread = session_io_.get_executor().running_in_this_thread();
    return info.current_statement == "SELECT SLEEP(30)";
  };
  EXPECT_TRUE(Call(h->InterruptQuery(sleeping)).ok());
  EXPECT_EQ(fake->interrupts, 1);
  EXPECT_TRUE(checked_on_own_thread);
  h->Update([](SessionInfo& info) { info.current_statement = "SELECT 1"; });
  absl::Status s = Call(h->InterruptQuery(sleeping));
  EXPECT_TRUE(IsNoLongerMatches(s)) << s;
  EXPECT_EQ(fake->interrupts, 1);
  s = Call(h->Terminate(SessionEnd{}, sleeping));
  EXPECT_TRUE(IsNoLongerMatches(s)) << s;
  EXPECT_EQ(fake->terminated, "");
  s = Call(h->TerminateServerSession(7, sleeping));
  EXPECT_TRUE(IsNoLongerMatches(s)) << s;
  EXPECT_FALSE(IsNoLongerMatches(absl::FailedPreconditionError("ambiguous")));
}

TEST_F(SessionHandleTest, VerbsOnAnEndedSessionDoNothing) {
  auto fake = std::make_shared<FakeSession>(&session_io_);
  auto h = std::make_shared<SessionHandle>(SessionFacts{}, session_io_.get_executor(), fake);
  h->Update([](SessionInfo& info) { info.user = "gone"; });
  fake.reset();  // the session ended; the handle lives on in someone's copy
  EXPECT_TRUE(Call(h->Terminate(SessionEnd{EndReason::kKilled, KillVia::kSql, "a", "late"})).ok());
  EXPECT_TRUE(Call(h->InterruptQuery()).ok());
  absl::Status s = Call(h->TerminateServerSession(7));
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(s.message(), "Unknown thread id: 7");
  EXPECT_EQ(h->Info().user, "gone");
}

TEST_F(SessionHandleTest, CloseIfIdleIsPostedToTheSessionsExecutor) {
  auto fake = std::make_shared<FakeSession>(&session_io_);
  SessionHandle h(SessionFacts{}, session_io_.get_executor(), fake);
  std::future<void> closed = fake->closed.get_future();
  h.CloseIfIdle();  // returns at once; the verb runs on the session's io thread
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(fake->on_own_thread);
  EXPECT_EQ(fake->idle_closes, 1);
}

}  // namespace
}  // namespace obp::session
