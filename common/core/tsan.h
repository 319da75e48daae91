// obp::HappensBefore / obp::HappensAfter: tell ThreadSanitizer about an
// ordering that a library guarantees but that TSan cannot see, because the
// library (Debian's gRPC, here) is not built with TSan and hands work
// between its threads through its own, uninstrumented synchronisation.
//
//   HappensBefore(p);  // thread A, last thing before handing p to gRPC
//   HappensAfter(p);   // thread B, first thing when gRPC hands p back
//
// Everything A did before HappensBefore(p) then happens-before whatever B
// does after HappensAfter(p), as the library's contract says it does.
//
// TsanIgnoreAccesses: while one is alive, TSan does not record the calling
// thread's memory accesses. For a call into such a library that copies our
// objects into its own and then uses them on its threads, where no
// HappensBefore can be placed after the copy (gRPC's inline call setup).
//
// Only for such documented hand-offs, around library calls: never to quiet
// a report about our own threads. All of it is a no-op without TSan.
// Thread rule: any thread.
#ifndef OBP_COMMON_CORE_TSAN_H_
#define OBP_COMMON_CORE_TSAN_H_

#if defined(__SANITIZE_THREAD__)
#define OBP_INTERNAL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OBP_INTERNAL_TSAN 1
#endif
#endif

#ifdef OBP_INTERNAL_TSAN
#include <sanitizer/tsan_interface.h>
// In the TSan runtime, not declared by clang 14's tsan_interface.h.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace obp {

inline void HappensBefore(const void* p) {
#ifdef OBP_INTERNAL_TSAN
  __tsan_release(const_cast<void*>(p));
#else
  (void)p;
#endif
}

inline void HappensAfter(const void* p) {
#ifdef OBP_INTERNAL_TSAN
  __tsan_acquire(const_cast<void*>(p));
#else
  (void)p;
#endif
}

class TsanIgnoreAccesses {
 public:
#ifdef OBP_INTERNAL_TSAN
  TsanIgnoreAccesses() { __tsan_ignore_thread_begin(); }
  ~TsanIgnoreAccesses() { __tsan_ignore_thread_end(); }
#else
  TsanIgnoreAccesses() {}  // user-provided, so compilers don't call the guard unused
#endif
  TsanIgnoreAccesses(const TsanIgnoreAccesses&) = delete;
  TsanIgnoreAccesses& operator=(const TsanIgnoreAccesses&) = delete;
};

}  // namespace obp

#endif  // OBP_COMMON_CORE_TSAN_H_
