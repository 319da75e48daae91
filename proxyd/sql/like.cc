#include "proxyd/sql/like.h"

#include <cstddef>

namespace obp::sql {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Bytes in the UTF-8 character starting at `pos` (1 for ASCII and for bytes
// that don't start a valid sequence), never past the end.
size_t CharLength(absl::string_view s, size_t pos) {
  const unsigned char b = static_cast<unsigned char>(s[pos]);
  size_t n = 1;
  if (b >= 0xF0 && b <= 0xF7) {
    n = 4;
  } else if (b >= 0xE0) {
    n = b <= 0xEF ? 3 : 1;
  } else if (b >= 0xC0) {
    n = 2;
  }
  return n <= s.size() - pos ? n : s.size() - pos;
}

}  // namespace

bool LikeMatch(absl::string_view pattern, absl::string_view text) {
  // Greedy matching that, on a mismatch, only retries from the most recent
  // `%` with one more character swallowed. Earlier `%`s never need
  // revisiting, which keeps this O(pattern x text).
  constexpr size_t kNone = absl::string_view::npos;
  size_t p = 0;
  size_t t = 0;
  size_t star_p = kNone;  // pattern position just after the last `%`
  size_t star_t = 0;      // text position that `%` is currently matched up to
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '%') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (c == '_') {
        ++p;
        t += CharLength(text, t);
        continue;
      }
      char literal = c;
      size_t width = 1;
      if (c == '\\' && p + 1 < pattern.size()) {
        literal = pattern[p + 1];
        width = 2;
      }
      if (Lower(literal) == Lower(text[t])) {
        p += width;
        ++t;
        continue;
      }
    }
    if (star_p == kNone) return false;
    star_t += CharLength(text, star_t);
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace obp::sql
