#include "proxyd/sql/split.h"

#include <initializer_list>

#include "proxyd/sql/classify.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

bool IsAnyWord(const Token& t, std::initializer_list<absl::string_view> words) {
  for (absl::string_view w : words) {
    if (t.IsWord(w)) return true;
  }
  return false;
}

// After CREATE or ALTER: true if the object is a stored program, whose body may
// hold `;`. The object's kind follows a few optional words (OR REPLACE,
// DEFINER = user, AGGREGATE, ...); a kind that is not a program ends the look.
bool DefinesStoredProgram(Lexer& lex) {
  constexpr int kLookahead = 16;
  for (int i = 0; i < kLookahead; ++i) {
    Token t = lex.Next();
    if (t.kind == TokenKind::kEnd || t.kind == TokenKind::kError || t.IsPunct(';')) return false;
    if (IsAnyWord(t, {"procedure", "function", "trigger", "event", "package"})) return true;
    if (IsAnyWord(t, {"table", "view", "index", "database", "schema", "user", "role", "sequence",
                      "server", "tablespace", "temporary", "unique", "fulltext", "spatial"})) {
      return false;
    }
  }
  return false;
}

// True if the statement whose first token is `first` is compound (see split.h).
// Consumes tokens of `lex` only as far as it must look.
bool StartsCompound(const Token& first, Lexer& lex) {
  if (first.kind != TokenKind::kWord) return false;
  if (IsAnyWord(first, {"if", "case", "loop", "while", "repeat", "for", "declare"})) return true;
  Token next = lex.Peek();
  if (next.IsPunct(':')) return true;  // a label: `outer: LOOP ...`
  if (first.IsWord("begin")) return next.IsWord("not");
  if (first.IsWord("create") || first.IsWord("alter")) return DefinesStoredProgram(lex);
  return false;
}

}  // namespace

std::vector<absl::string_view> SplitStatements(absl::string_view sql) {
  std::vector<absl::string_view> out;
  Lexer lex(sql);
  size_t start = 0;
  for (;;) {
    Token t = lex.Next();
    if (t.kind == TokenKind::kEnd) break;  // only whitespace and comments were left
    Lexer probe = lex;
    if (t.kind == TokenKind::kError || StartsCompound(t, probe)) {
      out.push_back(sql.substr(start));
      break;
    }
    while (t.kind != TokenKind::kEnd && !t.IsPunct(';')) {
      if (t.kind == TokenKind::kError) break;
      t = lex.Next();
    }
    if (t.kind == TokenKind::kError || t.kind == TokenKind::kEnd) {
      out.push_back(sql.substr(start));
      break;
    }
    out.push_back(sql.substr(start, t.begin - start));
    start = t.end;
  }
  return out;
}

std::optional<std::vector<QueryPart>> PlanMultiStatement(absl::string_view body) {
  if (body.find(';') == absl::string_view::npos) return std::nullopt;
  std::vector<absl::string_view> statements = SplitStatements(body);
  if (statements.size() < 2) return std::nullopt;
  std::vector<QueryPart> parts;
  bool any_proxy = false;
  for (absl::string_view stmt : statements) {
    QueryPart part;
    part.text = stmt;
    if (Classify(stmt) == StmtKind::kProxyAdmin) {
      auto admin = ParseAdminStatement(stmt);
      if (!admin.ok()) {
        part.error = admin.status();
      } else {
        part.admin = *std::move(admin);
      }
    }
    any_proxy = any_proxy || part.is_proxy();
    if (!part.is_proxy() && !parts.empty() && !parts.back().is_proxy()) {
      // Consecutive forwarded statements go to the backend together, as written.
      absl::string_view prev = parts.back().text;
      parts.back().text =
          absl::string_view(prev.data(), static_cast<size_t>(stmt.data() + stmt.size() - prev.data()));
      continue;
    }
    parts.push_back(std::move(part));
  }
  if (!any_proxy) return std::nullopt;
  return parts;
}

}  // namespace obp::sql
