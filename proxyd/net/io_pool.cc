#include "proxyd/net/io_pool.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace obp::net {

IoPool::IoPool(int threads) : tids_(new std::atomic<int>[threads < 1 ? 1 : threads]) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by one thread. Asio still locks its
    // scheduler and each socket's reactor state (other threads post kills here);
    // the profile shows those locks uncontended, a few percent of a query.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    tids_[i].store(0);
  }
}

IoPool::~IoPool() { Stop(); }

void IoPool::Start() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    guards_.push_back(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        contexts_[i]->get_executor()));
    threads_.emplace_back([this, i] {
      tids_[i].store(static_cast<int>(::syscall(SYS_gettid)), std::memory_order_relaxed);
      contexts_[i]->run();
    });
  }
}

void IoPool::Stop() {
  guards_.clear();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

asio::io_context& IoPool::Next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace obp::net
