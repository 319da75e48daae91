// Test helper: spells one statement many ways — every separator (spaces,
// tabs, newlines, each comment style) between every token, keywords in
// upper/lower/mixed case, with and without a trailing `;`.
#ifndef OBP_TESTS_UNIT_SQL_VARIANTS_H_
#define OBP_TESTS_UNIT_SQL_VARIANTS_H_

#include <cctype>
#include <string>
#include <vector>

namespace obp::sql::testing {

struct Piece {
  std::string text;
  bool keyword = true;  // case may be changed; literals keep theirs
};

inline const std::vector<std::string>& Separators() {
  static const std::vector<std::string> kSeps = {
      " ",    "   ",     "\t",   "\n",   " \r\n ",    "/* x */",         " /* a, b; */ ",
      "/**/", " -- x\n", "--\n", "#x\n", " # c; d\n", " /*+ BKA(t) */ ",
  };
  return kSeps;
}

inline const std::vector<std::string>& Trailers() {
  static const std::vector<std::string> kTrailers = {
      "", ";", " ; ", ";\n", "; -- bye\n", "; /* c */", " /* c */ ", "#c",
  };
  return kTrailers;
}

inline std::string Recase(const std::string& s, int mode) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (mode == 0) out[i] = static_cast<char>(std::toupper(c));
    if (mode == 1) out[i] = static_cast<char>(std::tolower(c));
    if (mode == 2) out[i] = static_cast<char>(i % 2 ? std::toupper(c) : std::tolower(c));
  }
  return out;
}

// All spellings: for each separator used in every gap (and a mix that rotates
// through them), each case mode, each trailer, with leading trivia too.
inline std::vector<std::string> Spellings(const std::vector<Piece>& pieces) {
  std::vector<std::string> out;
  const auto& seps = Separators();
  const auto& trailers = Trailers();
  for (size_t s = 0; s <= seps.size(); ++s) {  // s == size(): rotating mix
    for (int mode = 0; mode < 3; ++mode) {
      for (size_t t = 0; t < trailers.size(); ++t) {
        std::string text = s == seps.size() ? "" : seps[s];
        for (size_t i = 0; i < pieces.size(); ++i) {
          if (i > 0) text += s == seps.size() ? seps[(i + t) % seps.size()] : seps[s];
          text += pieces[i].keyword ? Recase(pieces[i].text, mode) : pieces[i].text;
        }
        text += trailers[t];
        out.push_back(std::move(text));
      }
    }
  }
  return out;
}

// Splits "KILL PROXYSESSION 5" on single spaces; all pieces keywords except
// those starting with a quote (literals keep their case).
inline std::vector<Piece> Words(const std::string& spaced) {
  std::vector<Piece> pieces;
  size_t i = 0;
  while (i < spaced.size()) {
    size_t j = spaced.find(' ', i);
    if (j == std::string::npos) j = spaced.size();
    std::string w = spaced.substr(i, j - i);
    const bool literal = !w.empty() && (w[0] == '\'' || w[0] == '"' || w[0] == '`');
    if (!w.empty()) pieces.push_back({w, !literal});
    i = j + 1;
  }
  return pieces;
}

}  // namespace obp::sql::testing

#endif  // OBP_TESTS_UNIT_SQL_VARIANTS_H_
