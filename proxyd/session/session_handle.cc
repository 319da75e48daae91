#include "proxyd/session/session_handle.h"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/cord.h"

namespace obp::session {

SessionHandle::SessionHandle(SessionFacts facts, asio::any_io_executor executor,
                             std::weak_ptr<SessionControl> control)
    : facts_(std::move(facts)), executor_(std::move(executor)), control_(std::move(control)) {}

void SessionHandle::AssignCsId(uint32_t cs_id) { cs_id_ = cs_id; }

SessionInfo SessionHandle::Info() const {
  SessionInfo copy;
  {
    MutexLock lock(&mu_);
    copy = info_;
  }
  copy.cs_id = cs_id_;
  copy.proxy_sessid = facts_.proxy_sessid;
  copy.host_ip = facts_.host_ip;
  copy.host_port = facts_.host_port;
  copy.created = facts_.created;
  copy.tid = facts_.tid;
  copy.bytes_from_client = traffic_.bytes_read.load(std::memory_order_relaxed);
  copy.bytes_to_client = traffic_.bytes_written.load(std::memory_order_relaxed);
  return copy;
}

namespace {
constexpr absl::string_view kNoLongerMatchesKey = "obp.session/no-longer-matches";
}  // namespace

absl::Status NoLongerMatches() {
  absl::Status s = absl::FailedPreconditionError("the session no longer matches the selector");
  s.SetPayload(kNoLongerMatchesKey, absl::Cord("1"));
  return s;
}

bool IsNoLongerMatches(const absl::Status& s) {
  return s.GetPayload(kNoLongerMatchesKey).has_value();
}

asio::awaitable<absl::Status> SessionHandle::Checked(
    Guard only_if, std::function<asio::awaitable<absl::Status>()> verb) const {
  if (only_if && !only_if(Info())) co_return NoLongerMatches();
  co_return co_await verb();
}

asio::awaitable<absl::Status> SessionHandle::Terminate(SessionEnd why, Guard only_if) const {
  // The strong reference keeps the session alive until its verb has run.
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return absl::OkStatus();
  auto verb = [target, why = std::move(why)]() mutable { return target->Terminate(std::move(why)); };
  co_return co_await asio::co_spawn(executor_, Checked(std::move(only_if), std::move(verb)),
                                    asio::use_awaitable);
}

asio::awaitable<absl::Status> SessionHandle::TerminateServerSession(uint32_t ss_id,
                                                                    Guard only_if) const {
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return UnknownThreadId(ss_id);
  auto verb = [target, ss_id] { return target->TerminateServerSession(ss_id); };
  co_return co_await asio::co_spawn(executor_, Checked(std::move(only_if), std::move(verb)),
                                    asio::use_awaitable);
}

asio::awaitable<absl::Status> SessionHandle::InterruptQuery(Guard only_if) const {
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return absl::OkStatus();
  auto verb = [target] { return target->InterruptQuery(); };
  co_return co_await asio::co_spawn(executor_, Checked(std::move(only_if), std::move(verb)),
                                    asio::use_awaitable);
}

void SessionHandle::CloseIfIdle() const {
  asio::post(executor_, [target = control_.lock()] {
    if (target) target->CloseIfIdle();
  });
}

}  // namespace obp::session
