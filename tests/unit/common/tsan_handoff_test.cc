// What tests/tsan.supp must cover for absl::Status, checked in the TSan build.
//
// An absl::Status that is not OK holds a reference-counted rep. Copying it adds
// a reference inline, in our instrumented code (a relaxed fetch_add that TSan
// records as a write); dropping it decrements inside Debian's uninstrumented
// libabsl_status, whose acquire-release TSan never sees, and the last drop frees
// the rep there. So when two threads share a status (gRPC's callback thread
// hands a peer's error to an io thread, which copies it into its reply), TSan
// takes the last free for a race with the other thread's copy, or with its read
// of the message. The free's own
// stack may not even name absl::Status: the library tail-calls operator delete,
// and so may the destructor that dropped it. This test builds exactly that, so
// the suppression that covers it is known to work; outside TSan it checks only
// that the status survives the trip.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "common/core/mutex.h"

namespace obp {
namespace {

struct Holder {
  std::unique_ptr<int> before;
  absl::Status status;  // last member: its destructor is the holder's last act
};

// Not inlined, so the final Unref can be a tail call out of it.
[[gnu::noinline]] void Drop(std::unique_ptr<Holder> h) { h.reset(); }

TEST(TsanHandoff, StatusCopiedOnOneThreadAndFreedOnAnother) {
  auto mine = std::make_unique<Holder>();
  mine->status = absl::UnavailableError("node 2 refused the forwarded kill");
  Mutex mu;
  absl::Status handed ABSL_GUARDED_BY(mu);
  {
    MutexLock lock(&mu);
    handed = mine->status;
  }
  std::atomic<bool> dropped{false};
  std::string seen;
  std::thread other([&] {
    {
      absl::Status received;
      {
        MutexLock lock(&mu);
        received = handed;  // a reference added on this thread, inline
        handed = absl::OkStatus();
      }
      absl::Status reply = received;
      seen = std::string(reply.message());
    }
    // Released without a lock: only the library's own atomics order this
    // thread's drops before the other thread's last one.
    dropped.store(true, std::memory_order_relaxed);
  });
  while (!dropped.load(std::memory_order_relaxed)) std::this_thread::yield();
  Drop(std::move(mine));  // the last reference goes here, on this thread
  other.join();
  EXPECT_EQ(seen, "node 2 refused the forwarded kill");
}

// The case a clean-clone run hit (FleetClient.ResolveRefusesWhenANodeIsUnreachable):
// the caller reads the message of a status whose last reference a gRPC thread drops.
TEST(TsanHandoff, StatusReadOnOneThreadAndFreedOnAnother) {
  Mutex mu;
  absl::Status shared ABSL_GUARDED_BY(mu) = absl::UnavailableError("node 3 unreachable");
  absl::Status mine;
  {
    MutexLock lock(&mu);
    mine = shared;
  }
  std::atomic<bool> read{false};
  std::thread other([&] {
    while (!read.load(std::memory_order_relaxed)) std::this_thread::yield();
    MutexLock lock(&mu);
    shared = absl::OkStatus();  // the last reference, dropped on this thread
  });
  const std::string text(mine.message());  // read here, inline
  mine = absl::OkStatus();                 // released inside the library
  read.store(true, std::memory_order_relaxed);
  other.join();
  EXPECT_EQ(text, "node 3 unreachable");
}

}  // namespace
}  // namespace obp
