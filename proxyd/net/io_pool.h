// IoPool: the data plane's threads. One asio::io_context per thread, each run by
// exactly one thread, so everything a client session owns (its sockets, its server
// sessions, its buffers) lives on one thread and needs no lock. Work for a session
// from another thread (a kill, an attribute snapshot) is posted to its context.
//
// Thread rule: Start/Stop from the main thread only; context(i) may be called from
// any thread once started.
#pragma once

#include <asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace obp::net {

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  void Start();
  // Lets the threads finish their pending work and joins them.
  void Stop();
  int size() const { return static_cast<int>(contexts_.size()); }
  asio::io_context& context(int i) { return *contexts_[i]; }
  // Round-robin pick, for work that is not tied to a session.
  asio::io_context& Next();
  // Linux thread id of thread i (for SHOW PROXYSESSION's tid column).
  int tid(int i) const { return tids_[i].load(std::memory_order_relaxed); }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>>> guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::atomic<int>[]> tids_;
  std::atomic<unsigned> next_{0};
};

}  // namespace obp::net
