// Lexical helpers for the SQL text of a COM_QUERY: skipping whitespace and
// comments, and reading words, numbers, quoted strings and variables.
//
// Comments are `-- ` (dashes followed by whitespace, a control character or
// the end) and `#` to the end of the line, and `/* ... */`. MySQL's executable
// comments `/*! ... */`, `/*!50001 ... */` and MariaDB's `/*M! ... */` are
// code: SkipTrivia() stops at them, and Lexer reads their content as
// statement text (the opener with its version and the matching `*/` are
// skipped like whitespace).
//
// Everything here is a pure function over the caller's string_view, or a
// Lexer that borrows it: no allocation except where a std::string is
// returned. Thread rule: free functions are thread-safe; a Lexer is a small
// value owned by one thread.
#ifndef OBP_PROXYD_SQL_LEXER_H_
#define OBP_PROXYD_SQL_LEXER_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace obp::sql {

inline constexpr size_t kNpos = absl::string_view::npos;

// Space, tab, newline, carriage return, vertical tab, form feed. Inline:
// these run per byte on every query.
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
// A byte that may appear in an unquoted identifier: [0-9A-Za-z_$] or any
// byte >= 0x80 (part of a multi-byte UTF-8 character).
inline bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
// ASCII case-insensitive equality of a word with a lower- or upper-case keyword.
bool KeywordEquals(absl::string_view word, absl::string_view keyword);

// If a plain comment starts at `pos`, returns the offset just past it;
// an unterminated `/*` runs to the end of `s`. Returns `pos` when no comment
// starts there, including at an executable comment opener.
size_t SkipComment(absl::string_view s, size_t pos);
// True when `/*!` or `/*M!` starts at `pos`.
bool IsExecutableCommentAt(absl::string_view s, size_t pos);
// Offset of the first byte at or after `pos` that is neither whitespace nor
// part of a plain comment (s.size() at the end).
size_t SkipTrivia(absl::string_view s, size_t pos);

// End of the identifier/keyword run starting at `pos` (== pos if none).
size_t ReadWord(absl::string_view s, size_t pos);
// End of the numeric literal starting at `pos`: 12, 1.5, .5, 1e-3, 0x1F,
// 0b101. Returns `pos` if no number starts there, or if the run continues
// with identifier characters (MySQL reads `12ab` and `0x1g` as identifiers).
size_t ReadNumber(absl::string_view s, size_t pos);
// `s[pos]` is a quote character (' " `). Returns the offset just past the
// closing quote, or kNpos if the literal is unterminated. In '..' and ".."
// a backslash escapes the next byte and a doubled quote is one quote; in
// `..` only the doubled backtick is special.
size_t ReadQuoted(absl::string_view s, size_t pos);

// The value of a complete '..' or ".." literal (quotes included in `quoted`):
// doubled quotes collapse, backslash escapes are decoded as MySQL does
// (\0 \b \n \r \t \Z \\ \' \"; `\%` and `\_` keep their backslash so that LIKE
// still sees them escaped; any other `\x` is `x`).
std::string UnquoteString(absl::string_view quoted);
// The name inside a complete `..` identifier (doubled backticks collapse).
std::string UnquoteIdentifier(absl::string_view quoted);

enum class TokenKind {
  kEnd,          // end of input
  kWord,         // identifier or keyword
  kNumber,       // numeric literal (see ReadNumber)
  kString,       // '..' or ".." literal, quotes included
  kQuotedIdent,  // `..`, backticks included
  kVariable,     // @name, @'name', @@name, @@session.name (sigils included)
  kPunct,        // any other single byte, or the pair `:=`
  kError,        // unterminated string, identifier or variable name
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t begin = 0;  // offset in the lexer's text
  size_t end = 0;
  absl::string_view text;

  // A word equal to `keyword` ignoring ASCII case.
  bool IsWord(absl::string_view keyword) const {
    return kind == TokenKind::kWord && KeywordEquals(text, keyword);
  }
  bool IsPunct(char c) const {
    return kind == TokenKind::kPunct && text.size() == 1 && text[0] == c;
  }
};

// Splits statement text into tokens, skipping whitespace, comments and the
// delimiters of executable comments.
class Lexer {
 public:
  explicit Lexer(absl::string_view text, size_t pos = 0) : text_(text), pos_(pos) {}

  // Reads the next token; kEnd forever once the input is used up.
  Token Next();
  // The token Next() would return, without consuming it.
  Token Peek();
  // Offset where the next token (or trivia before it) starts.
  size_t pos() const { return pos_; }
  absl::string_view text() const { return text_; }

 private:
  // Skips whitespace, comments, executable comment openers and, inside an
  // executable comment, its closing `*/`.
  void SkipAllTrivia();
  Token Make(TokenKind kind, size_t begin, size_t end);
  Token ReadVariable(size_t begin);

  absl::string_view text_;
  size_t pos_;
  bool in_executable_comment_ = false;
};

// The name a user variable token (`@x`, `@'x'`, `@"x"`, `@`x``) stands for: unquoted
// and lower-cased, as MariaDB compares user variable names without regard to case.
std::string UserVariableName(absl::string_view token);

// Consumes the end of a statement: nothing more, or one `;` followed only by
// whitespace and comments. Returns false (leaving `lex` anywhere) otherwise.
bool ConsumeStatementEnd(Lexer& lex);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_LEXER_H_
