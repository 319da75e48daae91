#include "proxyd/session/session_handle.h"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

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

asio::awaitable<absl::Status> SessionHandle::Terminate(std::string reason) const {
  // The strong reference keeps the session alive until its verb has run.
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return absl::OkStatus();
  co_return co_await asio::co_spawn(executor_, target->Terminate(std::move(reason)),
                                    asio::use_awaitable);
}

asio::awaitable<absl::Status> SessionHandle::TerminateServerSession(uint32_t ss_id) const {
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return UnknownThreadId(ss_id);
  co_return co_await asio::co_spawn(executor_, target->TerminateServerSession(ss_id),
                                    asio::use_awaitable);
}

asio::awaitable<absl::Status> SessionHandle::InterruptQuery() const {
  std::shared_ptr<SessionControl> target = control_.lock();
  if (!target) co_return absl::OkStatus();
  co_return co_await asio::co_spawn(executor_, target->InterruptQuery(), asio::use_awaitable);
}

void SessionHandle::CloseIfIdle() const {
  asio::post(executor_, [target = control_.lock()] {
    if (target) target->CloseIfIdle();
  });
}

}  // namespace obp::session
