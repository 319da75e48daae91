// ParseSet(): splits a SET statement into the items proxyd tracks.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

using Scope = SetItem::Scope;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot parse SET: ", what, "; expected: SET <variable> = <expr> [, ...]"));
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

// The rest of the statement after the tokens already read: its text from the
// next token through the last one before an optional final `;`.
absl::StatusOr<std::string> RestOfStatement(Lexer& lex) {
  const Token first = lex.Peek();
  size_t begin = first.begin;
  size_t end = begin;
  while (true) {
    const Token t = lex.Next();
    if (t.kind == TokenKind::kEnd) break;
    if (t.kind == TokenKind::kError) return Malformed("unterminated quoted text");
    if (t.IsPunct(';') && lex.Peek().kind == TokenKind::kEnd) break;
    end = t.end;
  }
  return std::string(lex.text().substr(begin, end - begin));
}

// Reads an expression up to a top-level `,` or the end of the statement and
// returns its text. Leaves `lex` before the `,` (or at the end).
absl::StatusOr<std::string> ReadValue(Lexer& lex) {
  int depth = 0;
  size_t begin = kNpos;
  size_t end = 0;
  while (true) {
    const Token t = lex.Peek();
    if (t.kind == TokenKind::kError) return Malformed("unterminated quoted text");
    if (t.kind == TokenKind::kEnd) break;
    if (depth == 0 && t.IsPunct(',')) break;
    if (depth == 0 && t.IsPunct(';')) {
      Lexer after = lex;
      after.Next();
      if (after.Peek().kind == TokenKind::kEnd) break;
      return Malformed("more than one statement");
    }
    if (t.IsPunct('(')) ++depth;
    if (t.IsPunct(')') && --depth < 0) return Malformed("unbalanced ')'");
    if (begin == kNpos) begin = t.begin;
    end = t.end;
    lex.Next();
  }
  if (depth != 0) return Malformed("unbalanced '('");
  if (begin == kNpos) return Malformed("missing value");
  return std::string(lex.text().substr(begin, end - begin));
}

// A name token: a word or `quoted` identifier.
absl::StatusOr<std::string> NamePart(const Token& t) {
  if (t.kind == TokenKind::kWord) return Lower(t.text);
  if (t.kind == TokenKind::kQuotedIdent) return Lower(UnquoteIdentifier(t.text));
  return Malformed("expected a variable name");
}

// A system variable name after SESSION/GLOBAL/LOCAL or without prefix:
// `name` or `component.name`.
absl::StatusOr<std::string> ReadSystemName(Lexer& lex) {
  absl::StatusOr<std::string> name = NamePart(lex.Next());
  if (!name.ok()) return name;
  if (lex.Peek().IsPunct('.')) {
    lex.Next();
    absl::StatusOr<std::string> part = NamePart(lex.Next());
    if (!part.ok()) return part;
    absl::StrAppend(&*name, ".", *part);
  }
  return name;
}

// Splits the inside of `@@a.b.c` on dots outside backquotes, unquoting parts.
std::vector<std::string> SplitDotted(absl::string_view s) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= s.size()) {
    size_t end = i;
    if (end < s.size() && s[end] == '`') {
      end = ReadQuoted(s, end);
      if (end == kNpos) end = s.size();
      parts.push_back(Lower(UnquoteIdentifier(s.substr(i, end - i))));
    } else {
      while (end < s.size() && s[end] != '.') ++end;
      parts.push_back(Lower(s.substr(i, end - i)));
    }
    i = end + 1;  // past the dot
  }
  return parts;
}

// Fills scope and name from a kVariable token (@x, @'x', @@x, @@global.x).
void VariableName(absl::string_view text, SetItem& item) {
  if (text.size() > 1 && text[1] != '@') {
    item.scope = Scope::kUserVar;
    item.name = UserVariableName(text);
    return;
  }
  std::vector<std::string> parts = SplitDotted(text.substr(2));
  item.scope = Scope::kSession;
  size_t first = 0;
  if (parts.size() > 1) {
    if (parts[0] == "global") {
      item.scope = Scope::kGlobal;
      first = 1;
    } else if (parts[0] == "session" || parts[0] == "local") {
      first = 1;
    }
  }
  for (size_t i = first; i < parts.size(); ++i) {
    if (i > first) item.name.push_back('.');
    item.name += parts[i];
  }
}

// A character set or collation name: word, 'string' or `ident`.
absl::StatusOr<std::string> CharsetName(const Token& t) {
  if (t.kind == TokenKind::kWord) return std::string(t.text);
  if (t.kind == TokenKind::kString) return UnquoteString(t.text);
  if (t.kind == TokenKind::kQuotedIdent) return UnquoteIdentifier(t.text);
  return Malformed("expected a character set name");
}

// SET NAMES cs [COLLATE c] — the NAMES word already read.
absl::StatusOr<SetItem> ReadNames(Lexer& lex) {
  SetItem item;
  item.scope = Scope::kNames;
  absl::StatusOr<std::string> cs = CharsetName(lex.Next());
  if (!cs.ok()) return cs.status();
  item.value = *std::move(cs);
  if (lex.Peek().IsWord("collate")) {
    lex.Next();
    absl::StatusOr<std::string> coll = CharsetName(lex.Next());
    if (!coll.ok()) return coll.status();
    item.collation = *std::move(coll);
  }
  return item;
}

bool IsAssign(const Token& t) {
  return t.IsPunct('=') || (t.kind == TokenKind::kPunct && t.text == ":=");
}

// SET CHARACTER SET cs / SET CHARSET cs — the keywords already read.
absl::StatusOr<SetItem> ReadCharset(Lexer& lex) {
  SetItem item;
  item.scope = Scope::kCharset;
  absl::StatusOr<std::string> cs = CharsetName(lex.Next());
  if (!cs.ok()) return cs.status();
  item.value = *std::move(cs);
  return item;
}

// One item of the list. `sticky` is the scope of the last GLOBAL/SESSION/LOCAL
// keyword: MariaDB applies it to later items that name none (checked on
// 10.11); `@@global.x` is not sticky.
absl::StatusOr<SetItem> ReadItem(Lexer& lex, Scope& sticky) {
  const Token t = lex.Peek();
  Lexer after_t = lex;  // copies are cheap: two offsets and a flag
  after_t.Next();
  const Token next = after_t.Peek();
  if (t.IsWord("names") && !IsAssign(next)) {
    lex = after_t;
    return ReadNames(lex);
  }
  if (t.IsWord("charset") && !IsAssign(next)) {
    lex = after_t;
    return ReadCharset(lex);
  }
  if (t.IsWord("character") && next.IsWord("set")) {
    lex = after_t;
    lex.Next();
    return ReadCharset(lex);
  }
  SetItem item;
  if (t.kind == TokenKind::kVariable) {
    lex = after_t;
    VariableName(t.text, item);
  } else {
    if (t.IsWord("global") || t.IsWord("session") || t.IsWord("local")) {
      sticky = t.IsWord("global") ? Scope::kGlobal : Scope::kSession;
      lex = after_t;
    }
    absl::StatusOr<std::string> name = ReadSystemName(lex);
    if (!name.ok()) return name.status();
    item.scope = sticky;
    item.name = *std::move(name);
  }
  if (item.name.empty()) return Malformed("empty variable name");
  if (!IsAssign(lex.Next())) return Malformed(absl::StrCat("missing '=' after ", item.name));
  absl::StatusOr<std::string> value = ReadValue(lex);
  if (!value.ok()) return value.status();
  item.value = *std::move(value);
  return item;
}

// SET forms that are one item covering the whole statement, or nullopt.
// `lex` is just after SET.
absl::StatusOr<std::optional<SetItem>> ReadWholeStatementForm(Lexer& lex) {
  Lexer probe = lex;
  const Token t = probe.Next();
  SetItem item;
  if (t.IsWord("transaction")) {
    item.scope = Scope::kTransaction;
    item.name = "next";
  } else if ((t.IsWord("global") || t.IsWord("session") || t.IsWord("local")) &&
             probe.Peek().IsWord("transaction")) {
    probe.Next();
    item.scope = Scope::kTransaction;
    item.name = t.IsWord("global") ? "global" : "session";
  } else if (t.IsWord("password")) {
    item.scope = Scope::kPassword;
    item.name = "password";
  } else if (t.IsWord("role") || t.IsWord("statement")) {
    item.scope = Scope::kOther;
    item.name = Lower(t.text);
  } else if (t.IsWord("default") && probe.Peek().IsWord("role")) {
    probe.Next();
    item.scope = Scope::kOther;
    item.name = "default role";
  } else {
    return std::nullopt;
  }
  absl::StatusOr<std::string> rest = RestOfStatement(probe);
  if (!rest.ok()) return rest.status();
  if (rest->empty()) return Malformed(absl::StrCat("nothing after ", item.name));
  item.value = *std::move(rest);
  lex = probe;
  return item;
}

}  // namespace

absl::StatusOr<std::vector<SetItem>> ParseSet(absl::string_view body) {
  Lexer lex(body);
  if (!lex.Next().IsWord("set")) return Malformed("not a SET statement");
  std::vector<SetItem> items;
  absl::StatusOr<std::optional<SetItem>> whole = ReadWholeStatementForm(lex);
  if (!whole.ok()) return whole.status();
  if (whole->has_value()) {
    items.push_back(**std::move(whole));
    return items;
  }
  Scope sticky = Scope::kSession;
  while (true) {
    absl::StatusOr<SetItem> item = ReadItem(lex, sticky);
    if (!item.ok()) return item.status();
    items.push_back(*std::move(item));
    if (lex.Peek().IsPunct(',')) {
      lex.Next();
      continue;
    }
    if (!ConsumeStatementEnd(lex)) return Malformed("unexpected text after an item");
    return items;
  }
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> TransactionVariables(
    absl::string_view characteristics) {
  std::vector<std::pair<std::string, std::string>> vars;
  Lexer lex(characteristics);
  for (;;) {
    Token t = lex.Next();
    if (t.IsWord("isolation") && lex.Next().IsWord("level")) {
      Token a = lex.Next();
      std::string level;
      if (a.IsWord("serializable")) {
        level = "SERIALIZABLE";
      } else if (a.IsWord("repeatable") && lex.Next().IsWord("read")) {
        level = "REPEATABLE-READ";
      } else if (a.IsWord("read")) {
        Token b = lex.Next();
        if (b.IsWord("committed")) level = "READ-COMMITTED";
        if (b.IsWord("uncommitted")) level = "READ-UNCOMMITTED";
      }
      if (level.empty()) return Malformed("unknown isolation level");
      vars.emplace_back("tx_isolation", absl::StrCat("'", level, "'"));
    } else if (t.IsWord("read")) {
      Token mode = lex.Next();
      if (!mode.IsWord("only") && !mode.IsWord("write")) return Malformed("READ what?");
      vars.emplace_back("tx_read_only", mode.IsWord("only") ? "1" : "0");
    } else {
      return Malformed("unknown transaction characteristic");
    }
    Token sep = lex.Next();
    if (sep.kind == TokenKind::kEnd) return vars;
    if (!sep.IsPunct(',')) return Malformed("expected ','");
  }
}

bool IsConstantExpression(absl::string_view expr) {
  Lexer lex(expr);
  bool after_collate = false;
  for (Token t = lex.Next(); t.kind != TokenKind::kEnd; t = lex.Next()) {
    switch (t.kind) {
      case TokenKind::kNumber:
      case TokenKind::kString:
        break;
      case TokenKind::kWord:
        // A collation name, an introducer (_utf8mb4'x'), the prefixes of N'x', X'0A'
        // and B'01' (lexed as a word before the string), and the literal words.
        // Any other word in a value is a function or an error.
        if (!(after_collate || t.text[0] == '_' || t.IsWord("n") || t.IsWord("x") ||
              t.IsWord("b") || t.IsWord("null") || t.IsWord("true") || t.IsWord("false") ||
              t.IsWord("collate"))) {
          return false;
        }
        break;
      case TokenKind::kPunct:
        // Calls and subqueries; a bare '@' (the lexer's, where MariaDB may see a
        // variable) and '?' (a parameter) are not literals either.
        if (t.IsPunct('(') || t.IsPunct(')') || t.IsPunct(',') || t.IsPunct(';') ||
            t.IsPunct('@') || t.IsPunct('?')) {
          return false;
        }
        break;
      default:  // variables, quoted identifiers, lexing errors
        return false;
    }
    after_collate = t.IsWord("collate");
  }
  return true;
}

}  // namespace obp::sql
