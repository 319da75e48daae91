#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of the executable comment opener at `pos` (`/*!` or `/*M!` plus
// any version digits), 0 if there is none.
size_t ExecutableOpenerLength(absl::string_view s, size_t pos) {
  // Plain byte tests rather than compare(): this runs on every token.
  if (pos + 2 >= s.size() || s[pos] != '/' || s[pos + 1] != '*') return 0;
  size_t i;
  if (s[pos + 2] == '!') {
    i = pos + 3;
  } else if (s[pos + 2] == 'M' && pos + 3 < s.size() && s[pos + 3] == '!') {
    i = pos + 4;
  } else {
    return 0;
  }
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i - pos;
}

// End of a run of `pred` bytes starting at `pos`.
template <typename Pred>
size_t RunEnd(absl::string_view s, size_t pos, Pred pred) {
  while (pos < s.size() && pred(s[pos])) ++pos;
  return pos;
}

}  // namespace

bool KeywordEquals(absl::string_view word, absl::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (ToLower(word[i]) != ToLower(keyword[i])) return false;
  }
  return true;
}

size_t SkipComment(absl::string_view s, size_t pos) {
  if (pos >= s.size()) return pos;
  const char c = s[pos];
  if (c == '#' || (c == '-' && pos + 1 < s.size() && s[pos + 1] == '-' &&
                   (pos + 2 == s.size() || IsSpace(s[pos + 2]) ||
                    static_cast<unsigned char>(s[pos + 2]) < 0x20))) {
    const size_t nl = s.find('\n', pos);
    return nl == kNpos ? s.size() : nl + 1;
  }
  if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '*') {
    if (IsExecutableCommentAt(s, pos)) return pos;
    const size_t close = s.find("*/", pos + 2);
    return close == kNpos ? s.size() : close + 2;
  }
  return pos;
}

bool IsExecutableCommentAt(absl::string_view s, size_t pos) {
  return ExecutableOpenerLength(s, pos) != 0;
}

size_t SkipTrivia(absl::string_view s, size_t pos) {
  while (pos < s.size()) {
    if (IsSpace(s[pos])) {
      ++pos;
      continue;
    }
    const size_t after = SkipComment(s, pos);
    if (after == pos) break;
    pos = after;
  }
  return pos;
}

size_t ReadWord(absl::string_view s, size_t pos) { return RunEnd(s, pos, IsIdentChar); }

size_t ReadNumber(absl::string_view s, size_t pos) {
  if (pos >= s.size()) return pos;
  const bool leading_dot = s[pos] == '.' && pos + 1 < s.size() && IsDigit(s[pos + 1]);
  if (!IsDigit(s[pos]) && !leading_dot) return pos;
  size_t i = pos;
  if (!leading_dot && s[pos] == '0' && pos + 1 < s.size() &&
      (s[pos + 1] == 'x' || s[pos + 1] == 'X' || s[pos + 1] == 'b' || s[pos + 1] == 'B')) {
    const bool hex = s[pos + 1] == 'x' || s[pos + 1] == 'X';
    const size_t end =
        RunEnd(s, pos + 2, [hex](char c) { return hex ? IsHexDigit(c) : (c == '0' || c == '1'); });
    // `0x` with no digits, or `0x1g`, is an identifier run, not a number.
    // Otherwise fall through: the decimal scan below sees `0` followed by
    // identifier characters and reports no number.
    if (end > pos + 2 && (end == s.size() || !IsIdentChar(s[end]))) return end;
  }
  i = RunEnd(s, i, IsDigit);
  if (i < s.size() && s[i] == '.') i = RunEnd(s, i + 1, IsDigit);
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && IsDigit(s[j])) i = RunEnd(s, j, IsDigit);
  }
  if (i < s.size() && IsIdentChar(s[i])) return pos;  // e.g. `12ab`: an identifier
  return i;
}

size_t ReadQuoted(absl::string_view s, size_t pos) {
  const char quote = s[pos];
  const bool backslash = quote != '`';
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (backslash && s[i] == '\\') {
      ++i;  // the escaped byte, whatever it is
    } else if (s[i] == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        ++i;  // doubled quote
      } else {
        return i + 1;
      }
    }
  }
  return kNpos;
}

std::string UnquoteString(absl::string_view quoted) {
  std::string out;
  if (quoted.size() < 2) return out;
  const char quote = quoted.front();
  const absl::string_view inner = quoted.substr(1, quoted.size() - 2);
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (c == quote && i + 1 < inner.size() && inner[i + 1] == quote) {
      out.push_back(quote);
      ++i;
    } else if (c == '\\' && i + 1 < inner.size()) {
      const char e = inner[++i];
      switch (e) {
        case '0':
          out.push_back('\0');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'Z':
          out.push_back('\x1a');
          break;
        case '%':
        case '_':
          out.push_back('\\');
          out.push_back(e);
          break;
        default:
          out.push_back(e);
          break;
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnquoteIdentifier(absl::string_view quoted) {
  std::string out;
  if (quoted.size() < 2) return out;
  const absl::string_view inner = quoted.substr(1, quoted.size() - 2);
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    out.push_back(inner[i]);
    if (inner[i] == '`' && i + 1 < inner.size() && inner[i + 1] == '`') ++i;
  }
  return out;
}

void Lexer::SkipAllTrivia() {
  while (true) {
    pos_ = SkipTrivia(text_, pos_);
    if (const size_t n = ExecutableOpenerLength(text_, pos_); n != 0) {
      // MySQL doesn't nest executable comments; a second opener inside one
      // is still read as code.
      in_executable_comment_ = true;
      pos_ += n;
      continue;
    }
    if (in_executable_comment_ && pos_ + 1 < text_.size() && text_[pos_] == '*' &&
        text_[pos_ + 1] == '/') {
      in_executable_comment_ = false;
      pos_ += 2;
      continue;
    }
    return;
  }
}

Token Lexer::Make(TokenKind kind, size_t begin, size_t end) {
  pos_ = end;
  return Token{kind, begin, end, text_.substr(begin, end - begin)};
}

Token Lexer::ReadVariable(size_t begin) {
  // `begin` holds '@'.
  size_t i = begin + 1;
  if (i < text_.size() && text_[i] == '@') {
    // @@[scope.]name: dot-separated segments, each a word or a `quoted` name.
    ++i;
    while (true) {
      size_t end = i;
      if (i < text_.size() && text_[i] == '`') {
        end = ReadQuoted(text_, i);
        if (end == kNpos) return Make(TokenKind::kError, begin, text_.size());
      } else {
        end = ReadWord(text_, i);
      }
      if (end == i) return Make(TokenKind::kError, begin, i);
      i = end;
      if (i + 1 < text_.size() && text_[i] == '.' &&
          (IsIdentChar(text_[i + 1]) || text_[i + 1] == '`')) {
        ++i;
        continue;
      }
      return Make(TokenKind::kVariable, begin, i);
    }
  }
  if (i < text_.size() && (text_[i] == '\'' || text_[i] == '"' || text_[i] == '`')) {
    const size_t end = ReadQuoted(text_, i);
    if (end == kNpos) return Make(TokenKind::kError, begin, text_.size());
    return Make(TokenKind::kVariable, begin, end);
  }
  // User variable names may also hold '.' (MariaDB and MySQL accept @a.b).
  const size_t end = RunEnd(text_, i, [](char c) { return IsIdentChar(c) || c == '.'; });
  if (end == i) return Make(TokenKind::kPunct, begin, i);  // a lone '@'
  return Make(TokenKind::kVariable, begin, end);
}

Token Lexer::Next() {
  SkipAllTrivia();
  const size_t begin = pos_;
  if (begin >= text_.size()) return Make(TokenKind::kEnd, begin, begin);
  const char c = text_[begin];
  if (const size_t end = ReadNumber(text_, begin); end != begin) {
    return Make(TokenKind::kNumber, begin, end);
  }
  if (IsIdentChar(c)) return Make(TokenKind::kWord, begin, ReadWord(text_, begin));
  if (c == '\'' || c == '"' || c == '`') {
    const size_t end = ReadQuoted(text_, begin);
    if (end == kNpos) return Make(TokenKind::kError, begin, text_.size());
    return Make(c == '`' ? TokenKind::kQuotedIdent : TokenKind::kString, begin, end);
  }
  if (c == '@') return ReadVariable(begin);
  if (c == ':' && begin + 1 < text_.size() && text_[begin + 1] == '=') {
    return Make(TokenKind::kPunct, begin, begin + 2);
  }
  return Make(TokenKind::kPunct, begin, begin + 1);
}

Token Lexer::Peek() {
  Lexer copy = *this;
  return copy.Next();
}

std::string UserVariableName(absl::string_view token) {
  absl::string_view name = token.substr(token.empty() ? 0 : 1);
  std::string out;
  if (!name.empty() && name.front() == '`') {
    out = UnquoteIdentifier(name);
  } else if (!name.empty() && (name.front() == '\'' || name.front() == '"')) {
    out = UnquoteString(name);
  } else {
    out = std::string(name);
  }
  for (char& c : out) c = ToLower(c);
  return out;
}

bool ConsumeStatementEnd(Lexer& lex) {
  Token t = lex.Next();
  if (t.IsPunct(';')) t = lex.Next();
  return t.kind == TokenKind::kEnd;
}

}  // namespace obp::sql
