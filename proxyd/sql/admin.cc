#include "proxyd/sql/admin.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

using Kind = AdminStatement::Kind;
using Result = absl::StatusOr<std::optional<AdminStatement>>;

constexpr absl::string_view kShowForm =
    "SHOW PROXYSESSION [ATTRIBUTE [<id>] [LIKE '<pattern>'] | "
    "VARIABLES [ALL] [<id>] [LIKE '<pattern>'] | HISTORY [LIKE '<user-pattern>']]";
constexpr absl::string_view kHistoryForm = "SHOW PROXYSESSION HISTORY [LIKE '<user-pattern>']";
constexpr absl::string_view kAttributeForm =
    "SHOW PROXYSESSION ATTRIBUTE [<id>] [LIKE '<pattern>']";
constexpr absl::string_view kVariablesForm =
    "SHOW PROXYSESSION VARIABLES [ALL] [<id>] [LIKE '<pattern>']";
constexpr absl::string_view kKillProxySessionForm = "KILL PROXYSESSION <id> [<ss_id>]";
constexpr absl::string_view kKillForm = "KILL [HARD|SOFT] [CONNECTION|QUERY] <id>";

absl::Status Expected(absl::string_view form) {
  return absl::InvalidArgumentError(absl::StrCat("expected: ", form));
}

absl::Status Expected(absl::string_view problem, absl::string_view form) {
  return absl::InvalidArgumentError(absl::StrCat(problem, "; expected: ", form));
}

// Value of an unsigned decimal literal, or nullopt on overflow or any other
// spelling (hex, fraction, exponent).
std::optional<uint64_t> DecimalValue(absl::string_view digits) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// Reads an id token; the error says what was wrong with it.
absl::StatusOr<uint64_t> ReadId(const Token& t, absl::string_view what, absl::string_view form) {
  if (t.kind == TokenKind::kNumber) {
    if (std::optional<uint64_t> v = DecimalValue(t.text)) return *v;
    return Expected(absl::StrCat(what, " must be an unsigned decimal integer up to ",
                                 std::numeric_limits<uint64_t>::max(), ", got '", t.text, "'"),
                    form);
  }
  if (t.kind == TokenKind::kEnd || t.IsPunct(';'))
    return Expected(absl::StrCat("missing ", what), form);
  if (t.IsPunct('-') || t.IsPunct('+')) {
    return Expected(absl::StrCat(what, " must be an unsigned decimal integer"), form);
  }
  return Expected(absl::StrCat(what, " must be a literal number, got '", t.text, "'"), form);
}

// The optional `[<id>] [LIKE 'pattern']` tail of the SHOW forms, then the end.
Result ReadShowTail(Lexer& lex, AdminStatement stmt, absl::string_view form) {
  if (lex.Peek().kind == TokenKind::kNumber) {
    absl::StatusOr<uint64_t> id = ReadId(lex.Next(), "id", form);
    if (!id.ok()) return id.status();
    stmt.id = *id;
  }
  if (lex.Peek().IsWord("like")) {
    lex.Next();
    const Token pattern = lex.Next();
    if (pattern.kind != TokenKind::kString) return Expected("LIKE needs a quoted pattern", form);
    stmt.like = UnquoteString(pattern.text);
  }
  if (!ConsumeStatementEnd(lex)) return Expected(form);
  return stmt;
}

Result ParseShow(Lexer& lex) {
  if (!lex.Next().IsWord("proxysession")) return std::nullopt;  // SHOW PROCESSLIST etc.
  AdminStatement stmt;
  Lexer tail = lex;
  if (ConsumeStatementEnd(tail)) {
    stmt.kind = Kind::kShowSessions;
    return stmt;
  }
  const Token t = lex.Next();
  if (t.IsWord("attribute")) {
    stmt.kind = Kind::kShowAttribute;
    return ReadShowTail(lex, stmt, kAttributeForm);
  }
  if (t.IsWord("history")) {
    stmt.kind = Kind::kShowHistory;
    if (lex.Peek().kind == TokenKind::kNumber) return Expected("HISTORY takes no id", kHistoryForm);
    return ReadShowTail(lex, stmt, kHistoryForm);
  }
  if (t.IsWord("variables")) {
    stmt.kind = Kind::kShowVariables;
    if (lex.Peek().IsWord("all")) {
      lex.Next();
      stmt.all = true;
    }
    return ReadShowTail(lex, stmt, kVariablesForm);
  }
  return Expected(kShowForm);
}

Result ParseKillProxySession(Lexer& lex) {
  AdminStatement stmt;
  stmt.kind = Kind::kKillProxySession;
  absl::StatusOr<uint64_t> id = ReadId(lex.Next(), "id", kKillProxySessionForm);
  if (!id.ok()) return id.status();
  stmt.id = *id;
  const Token t = lex.Peek();
  if (t.kind != TokenKind::kEnd && !t.IsPunct(';')) {
    absl::StatusOr<uint64_t> ss_id = ReadId(lex.Next(), "ss_id", kKillProxySessionForm);
    if (!ss_id.ok()) return ss_id.status();
    stmt.ss_id = *ss_id;
  }
  if (!ConsumeStatementEnd(lex)) return Expected(kKillProxySessionForm);
  return stmt;
}

// True if only an optional ';' is left; consumes nothing.
bool StatementEnds(const Lexer& lex) {
  Lexer probe = lex;
  return ConsumeStatementEnd(probe);
}

Result ParseKill(Lexer& lex) {
  Token t = lex.Next();
  if (t.IsWord("proxysession")) return ParseKillProxySession(lex);
  AdminStatement stmt;
  stmt.kind = Kind::kKillConnection;
  if (t.IsWord("hard") || t.IsWord("soft")) t = lex.Next();
  if (t.IsWord("connection")) {
    t = lex.Next();
  } else if (t.IsWord("query")) {
    stmt.kind = Kind::kKillQuery;
    t = lex.Next();
    if (t.IsWord("id")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "KILL QUERY ID is not supported through proxyd: a backend's query ids mean nothing to "
          "its clients; expected: ",
          kKillForm));
    }
  }
  if (t.IsWord("user")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KILL USER is not supported through proxyd: kill sessions by id; expected: ", kKillForm));
  }
  if (t.kind == TokenKind::kEnd || t.IsPunct(';')) return ReadId(t, "id", kKillForm).status();
  const bool digits = t.kind == TokenKind::kNumber &&
                      t.text.find_first_not_of("0123456789") == absl::string_view::npos;
  if (digits && StatementEnds(lex)) {
    absl::StatusOr<uint64_t> id = ReadId(t, "id", kKillForm);
    if (!id.ok()) return id.status();
    stmt.id = *id;
    ConsumeStatementEnd(lex);
    return stmt;
  }
  // Anything else is an expression (MariaDB takes one), up to the statement's end.
  size_t end = t.end;
  for (Token next = lex.Next(); next.kind != TokenKind::kEnd; next = lex.Next()) {
    if (next.IsPunct(';')) {
      if (lex.Next().kind != TokenKind::kEnd) return Expected(kKillForm);
      break;
    }
    end = next.end;
  }
  stmt.id_expr = std::string(lex.text().substr(t.begin, end - t.begin));
  return stmt;
}

}  // namespace

absl::StatusOr<std::optional<AdminStatement>> ParseAdminStatement(absl::string_view sql) {
  Lexer lex(sql);
  const Token first = lex.Next();
  if (first.IsWord("show")) return ParseShow(lex);
  if (first.IsWord("kill")) return ParseKill(lex);
  return std::nullopt;
}

}  // namespace obp::sql
