// Helpers shared by the libFuzzer targets in tests/fuzz: FUZZ_CHECK, which names the
// failed invariant before aborting (libFuzzer then keeps the input as a crash), and
// Input, a cursor that hands out the fuzzer's bytes as small structured values.
//
// Plain C++ (no libFuzzer header), so the same targets also build with g++ as corpus
// replayers (replay_main.cc). Thread rule: Input is a single-owner value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace obp::fuzz {

[[noreturn]] inline void CheckFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
  std::abort();
}

// Cursor over the fuzz input, read from the front. Reads past the end yield zeros
// (and empty views), so a target never has to check for exhaustion.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(reinterpret_cast<const char*>(data), size) {}
  explicit Input(absl::string_view data) : data_(data) {}

  uint8_t U8() { return empty() ? 0 : static_cast<uint8_t>(data_[pos_++]); }
  // Little-endian; each byte read in its own statement (operand order is unspecified).
  uint16_t U16() {
    const uint16_t lo = U8();
    return static_cast<uint16_t>(lo | U8() << 8);
  }
  uint32_t U32() {
    const uint32_t lo = U16();
    return lo | static_cast<uint32_t>(U16()) << 16;
  }
  uint64_t U64() {
    const uint64_t lo = U32();
    return lo | static_cast<uint64_t>(U32()) << 32;
  }
  bool Bool() { return U8() & 1; }
  // A value in [0, n); 0 when n == 0.
  size_t Below(size_t n) { return n == 0 ? 0 : U32() % n; }
  // Up to n bytes (fewer at the end).
  absl::string_view Bytes(size_t n) {
    absl::string_view s = data_.substr(pos_, n);
    pos_ += s.size();
    return s;
  }
  absl::string_view Rest() { return Bytes(remaining()); }

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

}  // namespace obp::fuzz

#define FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::obp::fuzz::CheckFailed(#cond, __FILE__, __LINE__))
