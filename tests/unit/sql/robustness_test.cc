// Fuzz-style robustness: every prefix of every statement the other tests use
// (and bounded random mutations of them) goes through every entry point
// without crashing, and what comes back stays inside the input. Run it in an
// ASan/UBSan build too (-DOBP_SANITIZE=ON).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proxyd/sql/admin.h"
#include "proxyd/sql/classify.h"
#include "proxyd/sql/lexer.h"
#include "proxyd/sql/like.h"
#include "proxyd/sql/preamble.h"
#include "tests/unit/sql/variants.h"

namespace obp::sql {
namespace {

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> kCorpus = [] {
    std::vector<std::string> c = {
        "SHOW PROXYSESSION",
        "SHOW PROXYSESSION ATTRIBUTE 12 LIKE 'cs\\_%'",
        "show proxysession variables all 7 like \"a''b\";",
        "KILL PROXYSESSION 5 3 ;",
        "KILL HARD QUERY 18446744073709551615",
        "KILL QUERY ID 5",
        "KILL USER 'bob'@'%'",
        "KILL -1",
        "KILL @x",
        "KILL 0x1F",
        "/*+ proxyd: backend=b1 */ SELECT 1",
        "/*+ proxyd: backend='a b', backend=`a b` */ -- c\nSELECT 1",
        "/*+ proxyd: foo=1 */ SELECT 1",
        "/*+ BKA(t1) */ # x\n SELECT /*+ proxyd: backend=b */ 1",
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
        "/*M!100101 SET NAMES utf8mb4 COLLATE 'utf8mb4_bin' */",
        "SET a=1, @@session.b = 'x,y', SESSION c = f(1,2), NAMES utf8mb4 COLLATE utf8mb4_bin",
        "SET GLOBAL a=1, b=(SELECT x, y FROM t WHERE z IN ('a', \"b\")), @'q' := `c`",
        "SET @@global.`cache1`.key_buffer_size = 1e3, @a.b = .5",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY",
        "SET PASSWORD FOR 'u'@'%' = PASSWORD('x')",
        "SET CHARACTER SET 'latin1', CHARSET DEFAULT",
        "USE `we``ird`;",
        "BEGIN WORK",
        "ROLLBACK WORK TO SAVEPOINT s1",
        "START TRANSACTION WITH CONSISTENT SNAPSHOT",
        "SELECT 'a\\'b', \"c\"\"d\", `e``f` -- g\n/* h */#i",
        "%a%b\\%_\\",
        "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 @ @@ ` ' \" \\",
    };
    // Spellings with a comment between every token.
    for (const char* spaced :
         {"KILL PROXYSESSION 5 3", "SHOW PROXYSESSION VARIABLES ALL 7 LIKE 'x%'",
          "SET @@session.a = 'x,y' , NAMES utf8"}) {
      for (const std::string& s : testing::Spellings(testing::Words(spaced))) c.push_back(s);
    }
    return c;
  }();
  return kCorpus;
}

// Runs every entry point; checks the invariants that don't depend on input.
void Exercise(absl::string_view text) {
  auto pre = ParsePreamble(text);
  if (pre.ok()) {
    ASSERT_LE(pre->body_offset, text.size());
    if (pre->backend_hint) {
      EXPECT_FALSE(pre->backend_hint->empty());
    }
  }
  const absl::string_view body = pre.ok() ? text.substr(pre->body_offset) : text;
  const StmtKind kind = Classify(body);
  (void)kind;
  (void)ParseUse(body);
  auto set = ParseSet(body);
  if (set.ok()) {
    EXPECT_FALSE(set->empty());
  }
  auto admin = ParseAdminStatement(body);
  if (admin.ok() && admin->has_value() && (*admin)->ss_id) {
    EXPECT_EQ((*admin)->kind, AdminStatement::Kind::kKillProxySession);
  }
  (void)LikeMatch(text, text);
  (void)LikeMatch(text, "cs_id");
  (void)LikeMatch("%a_%", text);
  Lexer lex(text);
  size_t last = 0;
  for (size_t i = 0; i <= text.size() + 1; ++i) {
    const Token t = lex.Next();
    ASSERT_LE(t.end, text.size());
    ASSERT_GE(t.begin, last);
    last = t.end;
    if (t.kind == TokenKind::kEnd) break;
    ASSERT_GT(t.end, t.begin);  // progress
  }
}

TEST(RobustnessTest, EveryPrefixOfEveryStatement) {
  for (const std::string& s : Corpus()) {
    for (size_t n = 0; n <= s.size(); ++n) {
      // A copy of exactly n bytes, so ASan flags any read past the prefix.
      const std::string prefix = s.substr(0, n);
      SCOPED_TRACE(prefix);
      Exercise(prefix);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(RobustnessTest, BoundedRandomMutations) {
  std::mt19937 rng(20240611);  // fixed seed: failures reproduce
  const std::string alphabet = "'\"`\\/*-#+!M@.;,()=:% \n\t0123456789aZ_\x80\xff";
  const auto& corpus = Corpus();
  for (int round = 0; round < 20000; ++round) {
    std::string s = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          s.insert(s.begin() + static_cast<long>(pos), c);
          break;
        case 1:
          if (pos < s.size()) s.erase(pos, 1);
          break;
        default:
          if (pos < s.size()) s[pos] = c;
          break;
      }
    }
    SCOPED_TRACE(s);
    Exercise(s);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace obp::sql
