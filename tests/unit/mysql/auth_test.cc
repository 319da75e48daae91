// mysql_native_password, checked against a real login captured from MariaDB.
#include "proxyd/mysql/auth.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "proxyd/mysql/handshake.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::FirstPayload;
using testing::LoadCapture;

// SELECT PASSWORD('capw') on the MariaDB the captures came from.
constexpr char kCapwHash[] = "*3C4C9D7F22DB682BDF1495B1F9E3308A7CE8EEDB";

TEST(AuthTest, Sha1KnownVector) {
  EXPECT_EQ(absl::BytesToHexString(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(AuthTest, Stage2MatchesServerPasswordFunction) {
  EXPECT_EQ(FormatPasswordHash(Stage2FromPassword("capw")), kCapwHash);
  auto parsed = ParsePasswordHash(kCapwHash);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Stage2FromPassword("capw"));
  auto lower = ParsePasswordHash("*3c4c9d7f22db682bdf1495b1f9e3308a7ce8eedb");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, *parsed);
}

TEST(AuthTest, ParsePasswordHashRejectsBadInput) {
  EXPECT_FALSE(ParsePasswordHash("").ok());
  EXPECT_FALSE(ParsePasswordHash("3C4C9D7F22DB682BDF1495B1F9E3308A7CE8EEDB").ok());
  EXPECT_FALSE(ParsePasswordHash("*3C4C9D7F22DB682BDF1495B1F9E3308A7CE8EED").ok());
  EXPECT_FALSE(ParsePasswordHash("*3C4C9D7F22DB682BDF1495B1F9E3308A7CE8EEDBB").ok());
  EXPECT_FALSE(ParsePasswordHash("*3C4C9D7F22DB682BDF1495B1F9E3308A7CE8EEDG").ok());
}

// The token capture.py sent (its own Python implementation) for the captured
// greeting's scramble, which MariaDB accepted.
struct RealLogin {
  std::string scramble;
  std::string token;
};
RealLogin LoadRealLogin() {
  auto greeting = DecodeInitialHandshake(FirstPayload(LoadCapture("greeting").bytes));
  auto login = DecodeHandshakeResponse(FirstPayload(LoadCapture("login_request").bytes));
  EXPECT_TRUE(greeting.ok() && login.ok());
  if (!greeting.ok() || !login.ok()) return {};
  return {greeting->scramble, login->auth_response};
}

TEST(AuthTest, TokenMatchesRealLogin) {
  RealLogin real = LoadRealLogin();
  ASSERT_EQ(real.scramble.size(), 20u);
  EXPECT_EQ(NativePasswordToken(Stage1FromPassword("capw"), real.scramble), real.token);
}

TEST(AuthTest, RecoverStage1FromRealLogin) {
  RealLogin real = LoadRealLogin();
  auto stage1 = RecoverStage1(real.token, real.scramble, Stage2FromPassword("capw"));
  ASSERT_TRUE(stage1.ok()) << stage1.status();
  EXPECT_EQ(*stage1, Sha1("capw"));
  auto wrong = RecoverStage1(real.token, real.scramble, Stage2FromPassword("other"));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  std::string other_scramble = real.scramble;
  other_scramble[0] ^= 1;
  EXPECT_FALSE(RecoverStage1(real.token, other_scramble, Stage2FromPassword("capw")).ok());
  EXPECT_FALSE(
      RecoverStage1(real.token.substr(0, 19), real.scramble, Stage2FromPassword("capw")).ok());
}

TEST(AuthTest, RoundTripWithFreshScramble) {
  std::string scramble = GenerateScramble();
  std::string stage1 = Stage1FromPassword("s3cret!");
  std::string token = NativePasswordToken(stage1, scramble);
  ASSERT_EQ(token.size(), 20u);
  auto got = RecoverStage1(token, scramble, Stage2FromPassword("s3cret!"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, stage1);
}

TEST(AuthTest, EmptyPassword) {
  EXPECT_EQ(Stage1FromPassword(""), "");
  EXPECT_EQ(NativePasswordToken("", GenerateScramble()), "");
  std::string scramble = GenerateScramble();
  // Stored as SHA1(SHA1("")) or as no hash at all: an empty token matches.
  auto a = RecoverStage1("", scramble, Stage2FromPassword(""));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "");
  auto b = RecoverStage1("", scramble, "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "");
  // An empty token never matches a real password, a real token never an empty one.
  EXPECT_EQ(RecoverStage1("", scramble, Stage2FromPassword("pw")).status().code(),
            absl::StatusCode::kPermissionDenied);
  std::string token = NativePasswordToken(Stage1FromPassword("pw"), scramble);
  EXPECT_FALSE(RecoverStage1(token, scramble, "").ok());
}

TEST(AuthTest, ScrambleIsPrintableAndRandom) {
  std::string a = GenerateScramble();
  std::string b = GenerateScramble();
  ASSERT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  for (char c : a + b) {
    EXPECT_GE(static_cast<unsigned char>(c), 33);
    EXPECT_LE(static_cast<unsigned char>(c), 126);
  }
}

}  // namespace
}  // namespace obp::mysql
