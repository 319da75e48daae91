// The gRPC bearer tokens file (proxyd/rpc/tokens.h): format, refusals with
// file:line:column and entry, lookups by secret or by SHA-256.
#include "proxyd/rpc/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace obp::rpc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kViewerSecret[] = "view-0123456789abcdef";
constexpr char kOperatorSecret[] = "oper-0123456789abcdef";

std::string TwoTokens() {
  return std::string("[[token]]\nname = \"ops-view\"\nrole = \"viewer\"\ntoken = \"") +
         kViewerSecret + "\"\n\n[[token]]\nname = \"ops-alice\"\nrole = \"operator\"\ntoken = \"" +
         kOperatorSecret + "\"\n";
}

// The error ParseTokens gives for `text` (which must be refused).
std::string ErrorOf(const std::string& text) {
  auto t = ParseTokens(text, "tokens.toml");
  EXPECT_FALSE(t.ok()) << "accepted:\n" << text;
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

TEST(Tokens, LooksUpEachTokenWithItsNameAndRole) {
  auto t = ParseTokens(TwoTokens(), "tokens.toml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 2u);
  auto v = t->Lookup(kViewerSecret);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->name, "ops-view");
  EXPECT_EQ(v->role, Role::kViewer);
  auto o = t->Lookup(kOperatorSecret);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, "ops-alice");
  EXPECT_EQ(o->role, Role::kOperator);
}

TEST(Tokens, UnknownPrefixAndEmptyTokensAreNotFound) {
  auto t = ParseTokens(TwoTokens(), "tokens.toml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->Lookup("").has_value());
  EXPECT_FALSE(t->Lookup("oper-0123456789abcde").has_value());    // one short
  EXPECT_FALSE(t->Lookup("oper-0123456789abcdeff").has_value());  // one long
  EXPECT_FALSE(t->Lookup("OPER-0123456789ABCDEF").has_value());   // case matters
}

TEST(Tokens, Sha256FormMatchesTheSecretWithoutHoldingIt) {
  const std::string hex = Sha256Hex(kOperatorSecret);
  auto t =
      ParseTokens("[[token]]\nname = \"ci\"\nrole = \"operator\"\ntoken_sha256 = \"" + hex + "\"\n",
                  "tokens.toml");
  ASSERT_TRUE(t.ok()) << t.status();
  auto o = t->Lookup(kOperatorSecret);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, "ci");
  EXPECT_FALSE(t->Lookup(hex).has_value());  // the digest itself is not a token
}

TEST(Tokens, Sha256HexIsStandardSha256) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Tokens, UpperCaseDigestIsAccepted) {
  std::string hex = Sha256Hex(kViewerSecret);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto t =
      ParseTokens("[[token]]\nname = \"v\"\nrole = \"viewer\"\ntoken_sha256 = \"" + hex + "\"\n",
                  "tokens.toml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->Lookup(kViewerSecret).has_value());
}

TEST(TokensErrors, UnknownRoleNamesFileLineEntryAndRole) {
  std::string text =
      TwoTokens() +
      "\n[[token]]\nname = \"root\"\nrole = \"admin\"\ntoken = \"adm-0123456789abcdef\"\n";
  EXPECT_EQ(ErrorOf(text),
            "tokens.toml:13:8: token[2].role: unknown role \"admin\" (viewer or operator)");
}

TEST(TokensErrors, DuplicateTokenIsRefusedNamingTheOtherEntry) {
  std::string text = TwoTokens() + "\n[[token]]\nname = \"again\"\nrole = \"viewer\"\ntoken = \"" +
                     kOperatorSecret + "\"\n";
  std::string e = ErrorOf(text);
  EXPECT_THAT(e, StartsWith("tokens.toml:11:1: token[2]: duplicate token"));
  EXPECT_THAT(e, HasSubstr("token[1] (\"ops-alice\")"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr(kOperatorSecret)));  // never echo a secret
}

TEST(TokensErrors, DuplicateTokenGivenOnceAsDigestIsRefused) {
  std::string text = TwoTokens() + "\n[[token]]\nname = \"again\"\nrole = \"viewer\"\n" +
                     "token_sha256 = \"" + Sha256Hex(kViewerSecret) + "\"\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("token[2]: duplicate token: same secret as token[0]"));
}

TEST(TokensErrors, DuplicateNameIsRefused) {
  std::string text =
      TwoTokens() +
      "\n[[token]]\nname = \"ops-view\"\nrole = \"viewer\"\ntoken = \"x-0123456789abcdefg\"\n";
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("token[2].name: duplicate name \"ops-view\" (also token[0])"));
}

TEST(TokensErrors, MissingFieldsAreNamed) {
  EXPECT_EQ(ErrorOf("[[token]]\nrole = \"viewer\"\ntoken = \"abcdefghijklmnopq\"\n"),
            "tokens.toml:1:1: token[0].name: missing");
  EXPECT_EQ(ErrorOf("[[token]]\nname = \"a\"\ntoken = \"abcdefghijklmnopq\"\n"),
            "tokens.toml:1:1: token[0].role: missing");
  EXPECT_EQ(ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\n"),
            "tokens.toml:1:1: token[0]: give exactly one of token and token_sha256");
}

TEST(TokensErrors, BothSecretAndDigestAreRefused) {
  EXPECT_THAT(ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\ntoken = \"abcdefghijklmnopq\"\n"
                      "token_sha256 = \"" +
                      Sha256Hex("abcdefghijklmnopq") + "\"\n"),
              HasSubstr("token[0]: give exactly one of token and token_sha256"));
}

TEST(TokensErrors, WeakOrUnsendableTokensAreRefused) {
  EXPECT_THAT(ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\ntoken = \"short\"\n"),
              HasSubstr("tokens.toml:4:9: token[0].token: a token is at least 16 printable"));
  EXPECT_THAT(
      ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\ntoken = \"has a space inside it\"\n"),
      HasSubstr("token[0].token: a token is at least 16"));
}

TEST(TokensErrors, BadDigestAndBadNameAndWrongTypes) {
  EXPECT_THAT(ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\ntoken_sha256 = \"abc\"\n"),
              HasSubstr("token[0].token_sha256: expected 64 hex digits"));
  EXPECT_THAT(
      ErrorOf("[[token]]\nname = \"a b\"\nrole = \"viewer\"\ntoken = \"abcdefghijklmnopq\"\n"),
      HasSubstr("token[0].name: \"a b\" is not a name"));
  EXPECT_THAT(ErrorOf("[[token]]\nname = 7\nrole = \"viewer\"\ntoken = \"abcdefghijklmnopq\"\n"),
              HasSubstr("token[0].name: expected a string, got an integer"));
}

TEST(TokensErrors, UnknownKeysAreRefused) {
  EXPECT_THAT(ErrorOf("[[token]]\nname = \"a\"\nrole = \"viewer\"\ntoken = \"abcdefghijklmnopq\"\n"
                      "expires = \"never\"\n"),
              HasSubstr("tokens.toml:5:1: token[0].expires: unknown key"));
  EXPECT_THAT(ErrorOf("tokens = 1\n"), HasSubstr("tokens.toml:1:1: tokens: unknown key"));
  EXPECT_THAT(ErrorOf("[token]\nname = \"a\"\n"),
              HasSubstr("token: expected [[token]] tables, got a table"));
}

TEST(TokensErrors, EmptyFileIsRefused) {
  EXPECT_THAT(ErrorOf("# nothing yet\n"), HasSubstr("tokens.toml: no [[token]] entries"));
}

TEST(TokensErrors, TomlSyntaxErrorHasAPosition) {
  EXPECT_THAT(ErrorOf("[[token]]\nname = \"a\nrole = \"viewer\"\n"), StartsWith("tokens.toml:2:"));
}

TEST(LoadTokens, MissingFileNamesThePath) {
  auto t = LoadTokens("/nonexistent/obp-tokens.toml");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()),
              StartsWith("/nonexistent/obp-tokens.toml: cannot read"));
}

TEST(LoadTokens, ReadsAFileAndErrorsNameIt) {
  std::string path = ::testing::TempDir() + "/obp_tokens_test.toml";
  { std::ofstream(path) << TwoTokens(); }
  auto t = LoadTokens(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->Lookup(kViewerSecret).has_value());
  {
    std::ofstream(path)
        << "[[token]]\nname = \"a\"\nrole = \"boss\"\ntoken = \"abcdefghijklmnopq\"\n";
  }
  auto bad = LoadTokens(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              StartsWith(path + ":3:8: token[0].role: unknown role"));
  std::remove(path.c_str());
}

TEST(LoadTokens, TheShippedExampleIsValid) {
  auto t = LoadTokens(std::string(OBP_SOURCE_DIR) + "/deploy/local/tokens.example.toml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_GE(t->size(), 2u);
}

TEST(BearerToken, TakesTheTokenOfABearerHeaderOnly) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc "), "abc");
  EXPECT_EQ(BearerToken("BEARER abc"), "abc");
  EXPECT_FALSE(BearerToken("Bearer").has_value());
  EXPECT_FALSE(BearerToken("Bearer   ").has_value());
  EXPECT_FALSE(BearerToken("Basic dXNlcjpwdw==").has_value());
  EXPECT_FALSE(BearerToken("abc").has_value());
  EXPECT_FALSE(BearerToken("").has_value());
}

}  // namespace
}  // namespace obp::rpc
