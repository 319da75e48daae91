#include "proxyd/sql/preamble.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

constexpr absl::string_view kExpected = "expected: /*+ proxyd: backend=NAME */";

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed proxyd hint: ", what, "; ", kExpected));
}

bool IsNameChar(char c) { return IsIdentChar(c) || c == '.' || c == '-'; }

size_t SkipSpaces(absl::string_view s, size_t pos) {
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  return pos;
}

// If `body` (the inside of a `/*+ ... */` comment) starts with the word
// `proxyd`, returns the offset just after it; otherwise kNpos (not ours).
size_t ProxydWordEnd(absl::string_view body) {
  const size_t begin = SkipSpaces(body, 0);
  const size_t end = ReadWord(body, begin);
  if (!KeywordEquals(body.substr(begin, end - begin), "proxyd")) return kNpos;
  return end;
}

// Parses `key=value` items (separated by spaces or commas) after `proxyd:`
// and stores the backend in `out`.
absl::Status ParseHintItems(absl::string_view body, size_t pos, Preamble& out) {
  bool any = false;
  while (true) {
    pos = SkipSpaces(body, pos);
    if (pos < body.size() && body[pos] == ',') pos = SkipSpaces(body, pos + 1);
    if (pos >= body.size()) break;
    const size_t key_end = ReadWord(body, pos);
    if (key_end == pos) return Malformed(absl::StrCat("unexpected '", body.substr(pos, 1), "'"));
    const absl::string_view key = body.substr(pos, key_end - pos);
    if (!KeywordEquals(key, "backend")) {
      return Malformed(absl::StrCat("unknown key '", key, "'"));
    }
    pos = SkipSpaces(body, key_end);
    if (pos >= body.size() || body[pos] != '=') return Malformed("missing '=' after backend");
    pos = SkipSpaces(body, pos + 1);
    std::string name;
    if (pos < body.size() && (body[pos] == '\'' || body[pos] == '"' || body[pos] == '`')) {
      const size_t end = ReadQuoted(body, pos);
      if (end == kNpos) return Malformed("unterminated quoted backend name");
      const absl::string_view quoted = body.substr(pos, end - pos);
      name = body[pos] == '`' ? UnquoteIdentifier(quoted) : UnquoteString(quoted);
      pos = end;
    } else {
      size_t end = pos;
      while (end < body.size() && IsNameChar(body[end])) ++end;
      name = std::string(body.substr(pos, end - pos));
      pos = end;
    }
    if (name.empty()) return Malformed("empty backend name");
    if (out.backend_hint.has_value() && *out.backend_hint != name) {
      return Malformed("two different backends given");
    }
    out.backend_hint = std::move(name);
    any = true;
  }
  if (!any) return Malformed("no backend given");
  return absl::OkStatus();
}

// Handles one `/*+ ... */` comment starting at `pos`. Sets `end` past it.
absl::Status HandleHintComment(absl::string_view sql, size_t pos, size_t& end, Preamble& out) {
  const size_t close = sql.find("*/", pos + 3);
  const absl::string_view body =
      sql.substr(pos + 3, close == kNpos ? absl::string_view::npos : close - pos - 3);
  end = close == kNpos ? sql.size() : close + 2;
  const size_t word_end = ProxydWordEnd(body);
  if (word_end == kNpos) return absl::OkStatus();  // someone else's hint
  if (word_end < body.size() && IsNameChar(body[word_end])) return absl::OkStatus();
  if (close == kNpos) return Malformed("unterminated comment");
  const size_t colon = SkipSpaces(body, word_end);
  if (colon >= body.size() || body[colon] != ':') return Malformed("missing ':' after proxyd");
  return ParseHintItems(body, colon + 1, out);
}

}  // namespace

absl::StatusOr<Preamble> ParsePreamble(absl::string_view sql) {
  Preamble out;
  size_t pos = 0;
  while (pos < sql.size()) {
    const char c = sql[pos];
    if (IsSpace(c)) {
      ++pos;
      continue;
    }
    // Fast path: a statement keyword (or anything else that can't start a
    // comment) ends the preamble.
    if (c != '/' && c != '-' && c != '#') break;
    if (sql.compare(pos, 3, "/*+") == 0) {
      size_t end = pos;
      if (absl::Status s = HandleHintComment(sql, pos, end, out); !s.ok()) return s;
      pos = end;
      continue;
    }
    const size_t after = SkipComment(sql, pos);
    if (after == pos) break;  // `/` or `-` that is code, or an executable comment
    pos = after;
  }
  out.body_offset = pos;
  return out;
}

}  // namespace obp::sql
