// libFuzzer target for obp_sql: feeds arbitrary bytes as COM_QUERY text to
// every entry point the data plane calls (ParsePreamble, Classify, ParseUse,
// ParseSet, ParseAdminStatement, LikeMatch) and checks the invariants that hold
// for any input. Not wired into CMake (fuzz builds are wired separately).
//
// Build and run by hand (clang-14 + libclang-rt-14-dev, from the repo root):
//
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/sql_fuzz.cc proxyd/sql/*.cc \
//     $(pkg-config --libs absl_strings absl_status absl_statusor) -o /tmp/sql_fuzz
//   mkdir -p /tmp/sql_corpus && /tmp/sql_fuzz -max_total_time=60 -max_len=512 /tmp/sql_corpus
//
// A 60 s run should end with no crash and no failed check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "proxyd/sql/admin.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/lexer.h"
#include "proxyd/sql/like.h"
#include "proxyd/sql/preamble.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::sql;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  auto pre = ParsePreamble(text);
  if (pre.ok()) {
    Check(pre->body_offset <= text.size());
    Check(!pre->backend_hint || !pre->backend_hint->empty());
  }
  const absl::string_view body = pre.ok() ? text.substr(pre->body_offset) : text;

  const StmtKind kind = Classify(body);
  auto use = ParseUse(body);
  if (use.ok()) Check(kind == StmtKind::kUse && !use->empty());
  auto set = ParseSet(body);
  if (set.ok()) Check(!set->empty());
  auto admin = ParseAdminStatement(body);
  if (admin.ok() && admin->has_value()) Check(kind == StmtKind::kProxyAdmin);

  // Split the input into pattern and text for LIKE (bounded by input size).
  const size_t half = size / 2;
  (void)LikeMatch(text.substr(0, half), text.substr(half));

  // The lexer always makes progress and stays inside the input.
  Lexer lex(text);
  size_t last = 0;
  for (size_t i = 0; i <= size + 1; ++i) {
    const Token t = lex.Next();
    Check(t.begin >= last && t.end <= size);
    last = t.end;
    if (t.kind == TokenKind::kEnd) break;
    Check(t.end > t.begin);
  }
  return 0;
}
