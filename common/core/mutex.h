// obp::Mutex, obp::MutexLock, obp::CondVar: the project's lock, an
// annotated wrapper over std::mutex / std::condition_variable with the same
// shape as absl::Mutex / absl::MutexLock / absl::CondVar.
//
// Why not absl::Mutex: Debian's libabsl is not built with ThreadSanitizer,
// and absl::Mutex synchronises through its own atomics and futex calls inside
// that library, so TSan never sees the lock and reports races on data that
// is in fact guarded (false positives). std::mutex goes through pthread,
// which TSan intercepts. The ABSL_* annotations keep clang's
// -Wthread-safety analysis: ABSL_GUARDED_BY(mu_) and
// ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) work on an obp::Mutex as on an
// absl::Mutex. (absl::Notification and absl::BlockingCounter have the same
// problem; use std::latch.)
//
// There is no Await(Condition): wait in a loop on a CondVar instead,
//   while (!ready_) cv_.Wait(&mu_);
// and Signal()/SignalAll() where the condition may have become true.
//
// Thread rule: all of it is safe from any thread; a Mutex is not recursive.
#ifndef OBP_COMMON_CORE_MUTEX_H_
#define OBP_COMMON_CORE_MUTEX_H_

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace obp {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mu_.unlock();
  }
  // Tells the analysis that the calling thread holds the lock; checks it
  // (assert) in builds without NDEBUG.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {
    assert(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id());
  }

 private:
  friend class CondVar;
  std::mutex mu_;
  // Who holds mu_, for AssertHeld only (relaxed: each thread only ever
  // compares it with its own id, which only it can have stored).
  std::atomic<std::thread::id> owner_{};
};

// Holds a Mutex for its scope. Call sites read as with absl::MutexLock:
//   obp::MutexLock lock(&mu_);
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable used with an obp::Mutex. Wakeups may be spurious:
// always wait in a loop that rechecks the condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases *mu, blocks until signalled, reacquires *mu.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->owner_.store(std::thread::id(), std::memory_order_relaxed);
    cv_.wait(lock);
    mu->owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    lock.release();  // *mu stays locked, owned by the caller again
  }

  // As Wait, giving up after `timeout`. Returns true if it timed out, false
  // if it was signalled (or woke spuriously). An infinite timeout is Wait().
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (timeout == absl::InfiniteDuration()) {
      Wait(mu);
      return false;
    }
    // wait_until on steady_clock: wait_for would add a huge timeout to now()
    // and overflow; the clamp keeps the deadline representable.
    const auto max_wait = std::chrono::hours(24 * 365);
    auto wait = absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
    if (wait > max_wait) wait = max_wait;
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->owner_.store(std::thread::id(), std::memory_order_relaxed);
    const bool timed_out =
        cv_.wait_until(lock, std::chrono::steady_clock::now() + wait) == std::cv_status::timeout;
    mu->owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    lock.release();
    return timed_out;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace obp

#endif  // OBP_COMMON_CORE_MUTEX_H_
