// libFuzzer target for obp_sql: feeds arbitrary bytes as COM_QUERY text to every
// entry point the data plane calls (ParsePreamble, Classify, ParseUse, ParseSet,
// ParseAdminStatement, LeavesNoSessionState, LikeMatch, SplitStatements,
// PlanMultiStatement) and to the lexer, and checks what holds for any input:
//  - the preamble ends inside the text, at a byte that is not whitespace, and the
//    body has no preamble of its own;
//  - Classify says kProxyAdmin exactly when ParseAdminStatement claims the statement,
//    kUse whenever ParseUse accepts it;
//  - a parsed admin statement carries the fields of its form and no others;
//  - ParseSet's items have lower-case names, and the values of assignments are text
//    of the statement;
//  - LeavesNoSessionState says yes only for SELECT/SHOW without '@', '(' or ';';
//  - LIKE: a pattern that escapes every wildcard of a text matches it, '%' matches
//    anything, and matching ignores ASCII case;
//  - the statements of a split are disjoint views of the text, in order, separated by
//    ';'; a plan's parts are views too, in order, and every part it answers itself is
//    one statement that Classify calls kProxyAdmin;
//  - ScanHeldState never both adds and clears a bit (the last statement that touches
//    it decides), and text without '@' assigns no user variable;
//  - the lexer always makes progress, stays inside the input, and its tokens are
//    the text they claim (strings and quoted names closed by their own quote).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "proxyd/sql/admin.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/held_state.h"
#include "proxyd/sql/lexer.h"
#include "proxyd/sql/like.h"
#include "proxyd/sql/preamble.h"
#include "proxyd/sql/split.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::sql {
namespace {

void CheckPreamble(absl::string_view text, const Preamble& pre) {
  FUZZ_CHECK(pre.body_offset <= text.size());
  FUZZ_CHECK(!pre.backend_hint || !pre.backend_hint->empty());
  if (pre.body_offset < text.size()) FUZZ_CHECK(!IsSpace(text[pre.body_offset]));
  auto again = ParsePreamble(text.substr(pre.body_offset));
  FUZZ_CHECK(again.ok() && again->body_offset == 0 && !again->backend_hint);
}

void CheckAdmin(absl::string_view body, StmtKind kind) {
  auto admin = ParseAdminStatement(body);
  const bool claimed = !admin.ok() || admin->has_value();
  FUZZ_CHECK(claimed == (kind == StmtKind::kProxyAdmin));
  if (!admin.ok() || !admin->has_value()) return;
  using Kind = AdminStatement::Kind;
  const AdminStatement& a = **admin;
  switch (a.kind) {
    case Kind::kShowSessions:
      FUZZ_CHECK(!a.id && !a.ss_id && !a.all && !a.like);
      break;
    case Kind::kShowAttribute:
      FUZZ_CHECK(!a.ss_id && !a.all);
      break;
    case Kind::kShowVariables:
      FUZZ_CHECK(!a.ss_id);
      break;
    case Kind::kShowHistory:
      FUZZ_CHECK(!a.id && !a.ss_id && !a.all);  // HISTORY [LIKE 'user-pattern'] only
      break;
    case Kind::kKillProxySession:
      FUZZ_CHECK(a.id && !a.all && !a.like);
      break;
    case Kind::kKillConnection:
    case Kind::kKillQuery:
      // A literal id, or an expression for the backend to work out: one of them.
      FUZZ_CHECK(a.id.has_value() != a.id_expr.has_value());
      FUZZ_CHECK(!a.id_expr || !a.id_expr->empty());
      FUZZ_CHECK(!a.ss_id && !a.all && !a.like);
      break;
  }
  if (a.kind != Kind::kKillConnection && a.kind != Kind::kKillQuery) FUZZ_CHECK(!a.id_expr);
}

void CheckSet(absl::string_view body, StmtKind kind) {
  auto set = ParseSet(body);
  if (!set.ok()) return;
  FUZZ_CHECK(!set->empty());
  FUZZ_CHECK(kind == StmtKind::kSet || kind == StmtKind::kOther);
  using Scope = SetItem::Scope;
  for (const SetItem& item : *set) {
    switch (item.scope) {
      case Scope::kSession:
      case Scope::kGlobal:
      case Scope::kUserVar:
        FUZZ_CHECK(!item.name.empty());
        FUZZ_CHECK(!item.value.empty() && absl::StrContains(body, item.value));
        FUZZ_CHECK(item.collation.empty());
        // Replayed exactly only if constant: a value that reads a variable never is.
        if (item.value[0] == '@' || absl::StartsWithIgnoreCase(item.value, "now(")) {
          FUZZ_CHECK(!IsConstantExpression(item.value));
        }
        break;
      case Scope::kTransaction:
        // What is replayed is proxyd's own text, never the client's.
        if (auto vars = TransactionVariables(item.value); vars.ok()) {
          for (const auto& [name, value] : *vars) {
            FUZZ_CHECK(name == "tx_isolation" || name == "tx_read_only");
            FUZZ_CHECK(IsConstantExpression(value));
          }
        }
        [[fallthrough]];
      case Scope::kPassword:
      case Scope::kOther:
        FUZZ_CHECK(set->size() == 1 && !item.value.empty());
        FUZZ_CHECK(absl::StrContains(body, item.value));
        break;
      case Scope::kNames:
      case Scope::kCharset:
        FUZZ_CHECK(item.name.empty());
        break;
    }
    if (item.scope != Scope::kNames) FUZZ_CHECK(item.collation.empty());
    for (char c : item.name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  }
}

void CheckLeavesNoState(absl::string_view sql) {
  if (!LeavesNoSessionState(sql)) return;
  const size_t begin = SkipTrivia(sql, 0);
  const size_t end = ReadWord(sql, begin);
  const absl::string_view first = sql.substr(begin, end - begin);
  FUZZ_CHECK(KeywordEquals(first, "select") || KeywordEquals(first, "show"));
  const absl::string_view rest = sql.substr(end);
  FUZZ_CHECK(rest.find_first_of("@(;") == absl::string_view::npos);
  FUZZ_CHECK(!absl::StrContains(rest, "/*!") && !absl::StrContains(rest, "/*M!"));
}

void CheckLike(absl::string_view pattern, absl::string_view text) {
  const bool m = LikeMatch(pattern, text);
  // ASCII case never matters, on either side.
  FUZZ_CHECK(m == LikeMatch(absl::AsciiStrToUpper(pattern), absl::AsciiStrToLower(text)));
  FUZZ_CHECK(LikeMatch("%", text));
  // Every byte escaped where needed: the pattern matches the text itself, and with
  // a '%' after it, the text followed by anything.
  std::string literal;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') literal.push_back('\\');
    literal.push_back(c);
  }
  FUZZ_CHECK(LikeMatch(literal, text));
  FUZZ_CHECK(LikeMatch(literal + "%", std::string(text) + std::string(pattern)));
  if (!text.empty()) FUZZ_CHECK(!LikeMatch(literal, text.substr(1)));
}

// True if `part` is a view into `text`.
bool Within(absl::string_view text, absl::string_view part) {
  return part.data() >= text.data() && part.data() + part.size() <= text.data() + text.size();
}

void CheckSplit(absl::string_view text) {
  const char* prev_end = text.data();
  bool first = true;
  for (absl::string_view stmt : SplitStatements(text)) {
    FUZZ_CHECK(Within(text, stmt));
    FUZZ_CHECK(stmt.data() >= prev_end);
    if (!first) FUZZ_CHECK(stmt.data() == prev_end + 1 && prev_end[0] == ';');
    prev_end = stmt.data() + stmt.size();
    first = false;
  }
  auto plan = PlanMultiStatement(text);
  if (!plan) return;
  FUZZ_CHECK(plan->size() >= 2);
  const char* last = text.data();
  bool any_proxy = false;
  for (const QueryPart& part : *plan) {
    FUZZ_CHECK(Within(text, part.text) && part.text.data() >= last);
    last = part.text.data() + part.text.size();
    if (!part.is_proxy()) continue;
    any_proxy = true;
    FUZZ_CHECK(Classify(part.text) == StmtKind::kProxyAdmin);
    FUZZ_CHECK(SplitStatements(part.text).size() <= 1);
  }
  FUZZ_CHECK(any_proxy);
}

void CheckLexer(absl::string_view text) {
  Lexer lex(text);
  size_t last = 0;
  for (size_t i = 0; i <= text.size() + 1; ++i) {
    const Token peek = lex.Peek();
    const Token t = lex.Next();
    FUZZ_CHECK(peek.kind == t.kind && peek.begin == t.begin && peek.end == t.end);
    FUZZ_CHECK(t.begin >= last && t.begin <= t.end && t.end <= text.size());
    FUZZ_CHECK(t.text == text.substr(t.begin, t.end - t.begin));
    last = t.end;
    if (t.kind == TokenKind::kEnd) {
      FUZZ_CHECK(lex.Next().kind == TokenKind::kEnd);
      return;
    }
    FUZZ_CHECK(t.end > t.begin);
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kQuotedIdent) {
      FUZZ_CHECK(t.text.size() >= 2 && t.text.front() == t.text.back());
      FUZZ_CHECK(ReadQuoted(text, t.begin) == t.end);
    }
    if (t.kind == TokenKind::kNumber) FUZZ_CHECK(ReadNumber(text, t.begin) == t.end);
    if (t.kind == TokenKind::kWord) FUZZ_CHECK(ReadWord(text, t.begin) == t.end);
  }
  FUZZ_CHECK(false);  // more tokens than bytes
}

}  // namespace
}  // namespace obp::sql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::sql;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  auto pre = ParsePreamble(text);
  if (pre.ok()) CheckPreamble(text, *pre);
  const absl::string_view body = pre.ok() ? text.substr(pre->body_offset) : text;

  const StmtKind kind = Classify(body);
  auto use = ParseUse(body);
  if (use.ok()) FUZZ_CHECK(kind == StmtKind::kUse && !use->empty());
  CheckAdmin(body, kind);
  CheckSet(body, kind);
  CheckLeavesNoState(text);
  const HeldChange held = ScanHeldState(text);
  FUZZ_CHECK((held.adds & held.clears) == 0);
  if (!absl::StrContains(text, "@")) FUZZ_CHECK(held.assigned_vars.empty());
  for (const std::string& name : held.assigned_vars) {
    FUZZ_CHECK(name.size() >= 1 && name[0] == '@');
  }

  // Split the input into pattern and text for LIKE (bounded by input size).
  const size_t half = size / 2;
  CheckLike(text.substr(0, half), text.substr(half));
  CheckLexer(text);
  CheckSplit(body);
  return 0;
}
