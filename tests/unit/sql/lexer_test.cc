#include "proxyd/sql/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace obp::sql {
namespace {

std::vector<std::pair<TokenKind, std::string>> Lex(absl::string_view s) {
  std::vector<std::pair<TokenKind, std::string>> out;
  Lexer lex(s);
  for (int i = 0; i < 1000; ++i) {
    const Token t = lex.Next();
    if (t.kind == TokenKind::kEnd) break;
    out.emplace_back(t.kind, std::string(t.text));
  }
  return out;
}

TEST(LexerTest, SkipTrivia) {
  EXPECT_EQ(SkipTrivia("", 0), 0u);
  EXPECT_EQ(SkipTrivia("  x", 0), 2u);
  EXPECT_EQ(SkipTrivia("/* a */x", 0), 7u);
  EXPECT_EQ(SkipTrivia("-- a\nx", 0), 5u);
  EXPECT_EQ(SkipTrivia("--\ta\nx", 0), 5u);
  EXPECT_EQ(SkipTrivia("--a", 0), 0u);  // not a comment without the space
  EXPECT_EQ(SkipTrivia("--", 0), 2u);
  EXPECT_EQ(SkipTrivia("#a\r\nx", 0), 4u);
  EXPECT_EQ(SkipTrivia("# no newline", 0), 12u);
  EXPECT_EQ(SkipTrivia("/* open", 0), 7u);
  EXPECT_EQ(SkipTrivia("/**/ /*+ hint */ x", 0), 17u);
  EXPECT_EQ(SkipTrivia(" /*!40101 x */", 0), 1u);  // executable: code
  EXPECT_EQ(SkipTrivia(" /*M!100101 x */", 0), 1u);
  EXPECT_EQ(SkipTrivia("/*/ x */y", 0), 8u);
  EXPECT_TRUE(IsExecutableCommentAt("/*!x*/", 0));
  EXPECT_FALSE(IsExecutableCommentAt("/*M x*/", 0));
}

TEST(LexerTest, Numbers) {
  EXPECT_EQ(ReadNumber("123 ", 0), 3u);
  EXPECT_EQ(ReadNumber("1.5e-3,", 0), 6u);
  EXPECT_EQ(ReadNumber(".5", 0), 2u);
  EXPECT_EQ(ReadNumber("0x1F", 0), 4u);
  EXPECT_EQ(ReadNumber("0b101)", 0), 5u);
  EXPECT_EQ(ReadNumber("12ab", 0), 0u);
  EXPECT_EQ(ReadNumber("0x1g", 0), 0u);
  EXPECT_EQ(ReadNumber("0x", 0), 0u);
  EXPECT_EQ(ReadNumber("abc", 0), 0u);
  EXPECT_EQ(ReadNumber("1e", 0), 0u);  // `1e` reads as an identifier
  EXPECT_EQ(ReadNumber("", 0), 0u);
}

TEST(LexerTest, QuotedAndUnquote) {
  EXPECT_EQ(ReadQuoted("'ab'c", 0), 4u);
  EXPECT_EQ(ReadQuoted("'a''b'", 0), 6u);
  EXPECT_EQ(ReadQuoted("'a\\'b'", 0), 6u);
  EXPECT_EQ(ReadQuoted("'a\\", 0), kNpos);
  EXPECT_EQ(ReadQuoted("\"a\"\"b\"", 0), 6u);
  EXPECT_EQ(ReadQuoted("`a\\`", 0), 4u);  // no backslash escapes in `..`
  EXPECT_EQ(ReadQuoted("`a``b`", 0), 6u);
  EXPECT_EQ(ReadQuoted("'open", 0), kNpos);
  EXPECT_EQ(UnquoteString("'it''s'"), "it's");
  EXPECT_EQ(UnquoteString("\"say \"\"hi\"\"\""), "say \"hi\"");
  EXPECT_EQ(UnquoteString("'a\\nb\\tc\\\\d\\'e\\0f\\Zg\\qh'"), std::string("a\nb\tc\\d'e\0f\x1ag"
                                                                           "qh",
                                                                           15));
  EXPECT_EQ(UnquoteString("'a\\%b\\_c'"), "a\\%b\\_c");
  EXPECT_EQ(UnquoteString("''"), "");
  EXPECT_EQ(UnquoteIdentifier("`we``ird`"), "we`ird");
}

TEST(LexerTest, Tokens) {
  using K = TokenKind;
  const auto toks = Lex("SET @@session.x := 'a,b', @u=`q` /* c */ ,f(1.5)-- x\n; #z");
  const std::vector<std::pair<K, std::string>> want = {
      {K::kWord, "SET"}, {K::kVariable, "@@session.x"},
      {K::kPunct, ":="}, {K::kString, "'a,b'"},
      {K::kPunct, ","},  {K::kVariable, "@u"},
      {K::kPunct, "="},  {K::kQuotedIdent, "`q`"},
      {K::kPunct, ","},  {K::kWord, "f"},
      {K::kPunct, "("},  {K::kNumber, "1.5"},
      {K::kPunct, ")"},  {K::kPunct, ";"},
  };
  EXPECT_EQ(toks, want);
}

TEST(LexerTest, VariablesAndErrors) {
  using K = TokenKind;
  EXPECT_EQ(Lex("@'a b'"), (std::vector<std::pair<K, std::string>>{{K::kVariable, "@'a b'"}}));
  EXPECT_EQ(Lex("@@global.`x y`"),
            (std::vector<std::pair<K, std::string>>{{K::kVariable, "@@global.`x y`"}}));
  EXPECT_EQ(Lex("@a.b"), (std::vector<std::pair<K, std::string>>{{K::kVariable, "@a.b"}}));
  EXPECT_EQ(Lex("@ x"),
            (std::vector<std::pair<K, std::string>>{{K::kPunct, "@"}, {K::kWord, "x"}}));
  EXPECT_EQ(Lex("'open").front().first, K::kError);
  EXPECT_EQ(Lex("@'open").front().first, K::kError);
  EXPECT_EQ(Lex("@@").front().first, K::kError);
}

TEST(LexerTest, ExecutableCommentContentIsCode) {
  using K = TokenKind;
  const auto toks = Lex("/*!40101 SET x=1 */; /*M!100101 KILL 5*/ /* plain */");
  const std::vector<std::pair<K, std::string>> want = {
      {K::kWord, "SET"}, {K::kWord, "x"},    {K::kPunct, "="},  {K::kNumber, "1"},
      {K::kPunct, ";"},  {K::kWord, "KILL"}, {K::kNumber, "5"},
  };
  EXPECT_EQ(toks, want);
  // Outside an executable comment, a stray `*/` is code.
  EXPECT_EQ(Lex("*/"),
            (std::vector<std::pair<K, std::string>>{{K::kPunct, "*"}, {K::kPunct, "/"}}));
}

TEST(LexerTest, StatementEnd) {
  for (const char* ok : {"", ";", " ; -- x\n", "/* a */ ; # b"}) {
    Lexer lex(ok);
    EXPECT_TRUE(ConsumeStatementEnd(lex)) << ok;
  }
  for (const char* bad : {";;", "; x", "x", "; ;"}) {
    Lexer lex(bad);
    EXPECT_FALSE(ConsumeStatementEnd(lex)) << bad;
  }
}

TEST(LexerTest, KeywordEquals) {
  EXPECT_TRUE(KeywordEquals("SeLeCt", "select"));
  EXPECT_FALSE(KeywordEquals("selects", "select"));
  EXPECT_FALSE(KeywordEquals("sel", "select"));
}

}  // namespace
}  // namespace obp::sql
