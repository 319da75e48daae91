#include "common/core/toml_util.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace obp {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot read ", what, ": is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    auto msg = absl::StrCat(path, ": cannot read ", what, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::FailedPreconditionError(msg);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": cannot read ", what));
  }
  return std::move(text).str();
}

namespace {

// toml++ 3.3.0 (Debian 12's) asks "is this whitespace?" of the character it stands on
// in many places, and for many non-ASCII code points (U+00A1..U+0499, U+2C4E..U+3047,
// U+FB26..U+FEFE) that question ends in TOML_UNREACHABLE: undefined behaviour
// (upstream issues 190 and 295, fixed after 3.3.0). It never asks inside strings and
// comments, except in a """multi-line""" string right after a backslash and on the
// first character after a line-ending backslash. So the text is parsed first with
// every non-ASCII character replaced by '~', which is valid in strings and comments
// and nowhere else: if that copy is valid TOML, every non-ASCII character of the
// original is in a string or comment, and only the multi-line cases remain to check.

bool IsAscii(char c) { return static_cast<unsigned char>(c) < 0x80; }
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
// True when t[i] starts a code point, as toml++ counts them (a stray continuation
// byte counts as one).
bool StartsCodePoint(absl::string_view t, size_t i) {
  return !IsContinuationByte(t[i]) || i == 0 || IsAscii(t[i - 1]);
}

constexpr absl::string_view kBom = "\xEF\xBB\xBF";  // toml++ skips it at the start

// One '~' per code point (per stray byte of malformed UTF-8), so that lines and
// columns, which toml++ counts in code points, stay where they were.
std::string WithAsciiPlaceholders(absl::string_view t) {
  std::string out;
  out.reserve(t.size());
  size_t i = 0;
  if (absl::StartsWith(t, kBom)) {
    out.append(kBom.data(), kBom.size());
    i = kBom.size();
  }
  for (; i < t.size(); ++i) {
    if (IsAscii(t[i])) {
      out.push_back(t[i]);
    } else if (StartsCodePoint(t, i)) {
      out.push_back('~');
    }
  }
  return out;
}

// Offset of the code point toml++ reports at `pos`, or npos.
size_t OffsetOf(absl::string_view t, const toml::source_position& pos) {
  toml::source_position at{1, 1};
  for (size_t i = absl::StartsWith(t, kBom) ? kBom.size() : 0; i < t.size(); ++i) {
    if (!StartsCodePoint(t, i)) continue;
    if (at.line == pos.line && at.column == pos.column) return i;
    if (t[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return absl::string_view::npos;
}

// toml++'s position of byte `offset`: 1-based line, and column in code points.
toml::source_position PositionOf(absl::string_view t, size_t offset) {
  toml::source_position pos{1, 1};
  for (size_t i = absl::StartsWith(t, kBom) ? kBom.size() : 0; i < offset; ++i) {
    if (t[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if (StartsCodePoint(t, i)) {
      ++pos.column;
    }
  }
  return pos;
}

// In text that is valid TOML: the offset of a non-ASCII character that comes first
// after a line-ending backslash in a """multi-line""" string, or npos.
size_t FindNonAsciiAfterLineEndingBackslash(absl::string_view t) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  In in = In::kCode;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    switch (in) {
      case In::kCode:
        if (c == '#') {
          in = In::kComment;
        } else if (c == '"' || c == '\'') {
          const bool multi = t.compare(i, 3, std::string(3, c)) == 0;
          in = c == '"' ? (multi ? In::kMultiBasic : In::kBasic)
                        : (multi ? In::kMultiLiteral : In::kLiteral);
          if (multi) i += 2;
        }
        break;
      case In::kComment:
        if (c == '\n') in = In::kCode;
        break;
      case In::kBasic:
      case In::kLiteral:
        if (c == (in == In::kBasic ? '"' : '\'')) {
          in = In::kCode;
        } else if (in == In::kBasic && c == '\\') {
          ++i;  // the escaped character
        }
        break;
      case In::kMultiBasic:
      case In::kMultiLiteral: {
        const char quote = in == In::kMultiBasic ? '"' : '\'';
        if (c == quote && t.compare(i, 3, std::string(3, quote)) == 0) {
          while (i + 1 < t.size() && t[i + 1] == quote) ++i;  // """" ends with a quote
          in = In::kCode;
        } else if (in == In::kMultiBasic && c == '\\' && i + 1 < t.size()) {
          if (!blank(t[i + 1])) {
            ++i;  // the escaped character
            break;
          }
          size_t j = i + 1;
          while (j < t.size() && blank(t[j])) ++j;
          if (j < t.size() && !IsAscii(t[j])) return j;
          i = j - 1;
        }
        break;
      }
    }
  }
  return absl::string_view::npos;
}

absl::StatusOr<toml::table> Parse(absl::string_view text, absl::string_view source,
                                  absl::string_view original) {
  // toml++ copies the source name into every node's region, so a std::string is fine.
  try {
    return toml::parse(std::string_view(text.data(), text.size()), std::string(source));
  } catch (const toml::parse_error& e) {
    const size_t at = OffsetOf(original, e.source().begin);
    if (text != original && at != absl::string_view::npos && !IsAscii(original[at])) {
      return absl::InvalidArgumentError(absl::StrCat(
          TomlWhere(source, e.source().begin),
          ": unexpected non-ASCII character (TOML allows them only in strings and comments)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(TomlWhere(source, e.source().begin), ": ", std::string(e.description())));
  }
}

}  // namespace

absl::StatusOr<toml::table> ParseTomlText(absl::string_view text, absl::string_view source) {
  const std::string ascii = WithAsciiPlaceholders(text);
  if (ascii != text) {
    if (absl::StatusOr<toml::table> copy = Parse(ascii, source, text); !copy.ok()) {
      return copy.status();
    }
    if (const size_t bad = FindNonAsciiAfterLineEndingBackslash(text);
        bad != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          TomlWhere(source, PositionOf(text, bad)),
          ": a non-ASCII character first after a line-ending backslash is not supported "
          "(toml++ 3.3 mishandles it)"));
    }
  }
  return Parse(text, source, text);
}

std::string TomlWhere(absl::string_view source, const toml::source_position& pos) {
  if (!pos) return std::string(source);
  return absl::StrCat(source, ":", pos.line, ":", pos.column);
}

absl::Status TomlError(absl::string_view source, const toml::source_position& pos,
                       absl::string_view key_path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(TomlWhere(source, pos), ": ", key_path, ": ", what));
}

std::string TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

}  // namespace obp
