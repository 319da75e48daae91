// Classify(), ParseUse() and ParseDropDatabase(); ParseSet() lives in set_parser.cc.
#include "proxyd/sql/classify.h"

#include "absl/status/status.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

// After BEGIN: a transaction start only if nothing but WORK follows
// (anything else is MariaDB's `BEGIN NOT ATOMIC` compound statement).
StmtKind ClassifyBegin(Lexer& lex) {
  Token t = lex.Peek();
  if (t.IsWord("work")) {
    lex.Next();
    t = lex.Peek();
  }
  if (t.kind == TokenKind::kEnd || t.IsPunct(';')) return StmtKind::kBegin;
  return StmtKind::kOther;
}

// After ROLLBACK: `[WORK] TO [SAVEPOINT] x` only rolls back to a savepoint.
StmtKind ClassifyRollback(Lexer& lex) {
  Token t = lex.Next();
  if (t.IsWord("work")) t = lex.Next();
  return t.IsWord("to") ? StmtKind::kOther : StmtKind::kRollback;
}

}  // namespace

StmtKind Classify(absl::string_view body) {
  // Fast path: a body that starts with a letter starts with its keyword, so
  // read it directly; the lexer is only needed for what follows a few
  // keywords, or for bodies that open with a comment or `/*!`.
  Lexer lex(body);
  Token first;
  if (!body.empty() && ((body[0] >= 'a' && body[0] <= 'z') || (body[0] >= 'A' && body[0] <= 'Z'))) {
    const size_t end = ReadWord(body, 0);
    first = Token{TokenKind::kWord, 0, end, body.substr(0, end)};
    lex = Lexer(body, end);
  } else {
    first = lex.Next();
    if (first.kind != TokenKind::kWord) return StmtKind::kOther;
  }
  // Dispatch on length first: most queries are SELECT/INSERT/UPDATE, which
  // then cost one comparison.
  switch (first.text.size()) {
    case 3:
      if (first.IsWord("use")) return StmtKind::kUse;
      if (first.IsWord("set")) {
        return lex.Next().IsWord("statement") ? StmtKind::kOther : StmtKind::kSet;
      }
      break;
    case 4:
      if (first.IsWord("kill")) return StmtKind::kProxyAdmin;
      if (first.IsWord("drop")) {
        const Token what = lex.Next();
        return what.IsWord("database") || what.IsWord("schema") ? StmtKind::kDropDatabase
                                                                 : StmtKind::kOther;
      }
      if (first.IsWord("show")) {
        return lex.Next().IsWord("proxysession") ? StmtKind::kProxyAdmin : StmtKind::kOther;
      }
      break;
    case 5:
      if (first.IsWord("begin")) return ClassifyBegin(lex);
      if (first.IsWord("start")) {
        return lex.Next().IsWord("transaction") ? StmtKind::kBegin : StmtKind::kOther;
      }
      break;
    case 6:
      if (first.IsWord("commit")) return StmtKind::kCommit;
      break;
    case 8:
      if (first.IsWord("rollback")) return ClassifyRollback(lex);
      break;
    default:
      break;
  }
  return StmtKind::kOther;
}

bool LeavesNoSessionState(absl::string_view sql) {
  size_t pos = SkipTrivia(sql, 0);
  size_t end = ReadWord(sql, pos);
  absl::string_view first = sql.substr(pos, end - pos);
  if (!KeywordEquals(first, "select") && !KeywordEquals(first, "show")) return false;
  for (size_t i = end; i < sql.size();) {
    char c = sql[i];
    if (c == '@' || c == '(' || c == ';') return false;
    if (c == '/' && IsExecutableCommentAt(sql, i)) return false;
    if (!IsIdentChar(c)) {
      ++i;
      continue;
    }
    size_t word_end = ReadWord(sql, i);
    absl::string_view word = sql.substr(i, word_end - i);
    if (word.size() >= 4 &&
        (KeywordEquals(word, "into") || KeywordEquals(word, "sql_calc_found_rows") ||
         KeywordEquals(word, "next") || KeywordEquals(word, "previous"))) {
      return false;
    }
    i = word_end;
  }
  return true;
}

namespace {

// A database name (a word or a `quoted` identifier) and the statement's end.
absl::StatusOr<std::string> DatabaseNameAtEnd(Lexer& lex, absl::string_view expected) {
  const Token db = lex.Next();
  std::string name;
  if (db.kind == TokenKind::kWord) {
    name = std::string(db.text);
  } else if (db.kind == TokenKind::kQuotedIdent) {
    name = UnquoteIdentifier(db.text);
  } else {
    return absl::InvalidArgumentError(expected);
  }
  if (name.empty() || !ConsumeStatementEnd(lex)) return absl::InvalidArgumentError(expected);
  return name;
}

}  // namespace

absl::StatusOr<std::string> ParseUse(absl::string_view body) {
  constexpr absl::string_view kExpected = "expected: USE <database>";
  Lexer lex(body);
  if (!lex.Next().IsWord("use")) return absl::InvalidArgumentError(kExpected);
  return DatabaseNameAtEnd(lex, kExpected);
}

absl::StatusOr<std::string> ParseDropDatabase(absl::string_view body) {
  constexpr absl::string_view kExpected = "expected: DROP DATABASE [IF EXISTS] <database>";
  Lexer lex(body);
  if (!lex.Next().IsWord("drop")) return absl::InvalidArgumentError(kExpected);
  const Token what = lex.Next();
  if (!what.IsWord("database") && !what.IsWord("schema")) {
    return absl::InvalidArgumentError(kExpected);
  }
  if (lex.Peek().IsWord("if")) {
    lex.Next();
    if (!lex.Next().IsWord("exists")) return absl::InvalidArgumentError(kExpected);
  }
  return DatabaseNameAtEnd(lex, kExpected);
}

}  // namespace obp::sql
