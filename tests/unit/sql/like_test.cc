#include "proxyd/sql/like.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace obp::sql {
namespace {

TEST(LikeTest, Table) {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Case cases[] = {
      {"", "", true},
      {"", "a", false},
      {"%", "", true},
      {"%", "anything", true},
      {"%%", "", true},
      {"a", "a", true},
      {"a", "A", true},
      {"A", "a", true},
      {"a", "b", false},
      {"a", "ab", false},
      {"_", "", false},
      {"_", "a", true},
      {"_", "ab", false},
      {"__", "ab", true},
      {"cs%", "cs_id", true},
      {"CS%", "cs_id", true},
      {"%id", "cs_id", true},
      {"%_id", "cs_id", true},
      {"%_id", "_id", true},
      {"%_id", "id", false},
      {"c%i_", "cs_id", true},
      {"%s_i%", "cs_id", true},
      {"host\\_ip", "host_ip", true},
      {"host\\_ip", "hostxip", false},
      {"100\\%", "100%", true},
      {"100\\%", "1000", false},
      {"a\\\\b", "a\\b", true},
      {"a\\", "a\\", true},  // a trailing backslash is literal
      {"a\\b", "ab", true},  // any other escaped character is itself
      {"%a%b%c%", "xxaxxbxxcxx", true},
      {"%a%b%c%", "xxaxxcxxbxx", false},
      {"a%a%a", "aaa", true},
      {"a%a%a", "aa", false},
      {"%ab", "aab", true},
      {"%abc", "ababc", true},
      {"%ss_[0]%", "ss_[0] backend", true},
      {"_x", "\xC3\xA9x", true},  // `_` is one UTF-8 character (é)
      {"__x", "\xC3\xA9x", false},
      {"%\xC3\xA9", "caf\xC3\xA9", true},
      {"%_", "\xE2\x82\xAC", true},  // €
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LikeMatch(c.pattern, c.text), c.match)
        << "'" << c.pattern << "' vs '" << c.text << "'";
  }
}

TEST(LikeTest, NoExponentialBacktracking) {
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "%a";
  pattern += "%b";
  const std::string text(20000, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(LikeMatch(pattern, text));
  EXPECT_TRUE(LikeMatch(pattern, text + "b"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // O(pattern x text) is ~1.2M steps; exponential would never finish.
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

}  // namespace
}  // namespace obp::sql
