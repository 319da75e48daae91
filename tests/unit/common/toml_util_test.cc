// ParseTomlText: what reaches toml++ and how its refusals read.
#include "common/core/toml_util.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace obp {
namespace {

using ::testing::StartsWith;

std::string ErrorOf(const std::string& text) {
  auto t = ParseTomlText(text, "f.toml");
  if (t.ok()) return "<accepted>";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

// Inputs found by tests/fuzz (config_fuzz, fleet_fuzz, tokens_fuzz): Debian's toml++
// 3.3.0 reaches TOML_UNREACHABLE (undefined behaviour) when it asks whether one of
// these characters is whitespace. They must be refused without toml++ ever reading
// them outside a string (the fuzz build, with toml++ instrumented, checks that part).
TEST(ParseTomlText, RefusesTextTomlppMishandles) {
  const std::string kNonAscii =
      ": unexpected non-ASCII character (TOML allows them only in "
      "strings and comments)";
  // U+FEFB after a space, at the top level.
  EXPECT_EQ(ErrorOf(" \xEF\xBB\xBB"), "f.toml:1:2" + kNonAscii);
  // U+032A (upstream issue 295), on a line of its own; U+00A7 in a key.
  EXPECT_EQ(ErrorOf("a = 1\n\xCC\xAA"), "f.toml:2:1" + kNonAscii);
  EXPECT_EQ(ErrorOf("a \xC2\xA7= 1\n"), "f.toml:1:3" + kNonAscii);
  // In a multi-line basic string: right after a backslash (an invalid escape)...
  EXPECT_EQ(ErrorOf("s = \"\"\"x\\\xC2\xA7\"\"\"\n"), "f.toml:1:10" + kNonAscii);
  EXPECT_EQ(ErrorOf("s = \"\"\"\\ \xC2\xA7\"\"\"\n"), "f.toml:1:10" + kNonAscii);
  // ... and first after a line-ending backslash (upstream issue 190): valid TOML,
  // refused all the same.
  EXPECT_THAT(ErrorOf("s = \"\"\"\\\n\xC2\xA7\"\"\"\n"),
              StartsWith("f.toml:2:1: a non-ASCII character first after a line-ending backslash"));
  EXPECT_THAT(ErrorOf("s = \"\"\"\\  \n \n  \xD0\xB4\"\"\"\n"),
              StartsWith("f.toml:3:3: a non-ASCII"));
  // Malformed values that toml++ skips up to a space, ',', ']', '}' or '#', quotes
  // and all: the quotes there open no string.
  EXPECT_THAT(ErrorOf("_=3ZZ\"\"\"++\xEF\xB6\xBF"), StartsWith("f.toml:1:3: "));
  EXPECT_THAT(ErrorOf("a=8'\"&\xC6\xBF\""), StartsWith("f.toml:1:4: "));
  EXPECT_THAT(ErrorOf("a = [1\"\xC6\xBF\"]"), StartsWith("f.toml:1:7: "));
  EXPECT_THAT(ErrorOf("c=0=\"\xEF\xBB\x9F=!\x0b\n"), StartsWith("f.toml:1:4: "));
}

TEST(ParseTomlText, NonAsciiInStringsAndCommentsIsFine) {
  for (const char* text : {
           "name = \"\xD0\xB4\xC2\xA7\xEF\xBB\xBB\"  # \xD0\xB4\xC2\xA7\n",
           "name = '\xD0\xB4\\'\n",
           "name = \"\\\"\xD0\xB4\"\n",
           "name = \"\"\"\n\xD0\xB4\n\"\"\"\n",
           "name = \"\"\"a\\\n   b \xD0\xB4\"\"\"\n",
           "name = '''\\\n\xD0\xB4'''\n",
           "name = \"\"\"x\"\"\"\"\nb = \"\xD0\xB4\"\n",
           "\xEF\xBB\xBFname = 1\n",  // a BOM
           "[\"\xD0\xB4\"]\nk = 1\n",
           "[ 'a' . \"\xD0\xB4\" ]\nk = { \"\xD0\xB4\" = [ '\xD0\xB4', \"\xD0\xB4\" ] }\n",
           "a = 1\r\n\"\xD0\xB4\" = 2\n",
       }) {
    auto t = ParseTomlText(text, "f.toml");
    EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  }
}

TEST(ParseTomlText, OtherErrorsKeepTomlppsWording) {
  EXPECT_THAT(ErrorOf("a = \n"), StartsWith("f.toml:1:"));
  EXPECT_THAT(ErrorOf("a = \"\xD0\xB4\n"), StartsWith("f.toml:1:7: Error while parsing string"));
  EXPECT_EQ(ErrorOf("a = \"x\xFF\"\n"), "f.toml:1:6: Encountered invalid utf-8 sequence");
  // Stray UTF-8 continuation bytes, the first one at the very start (found by
  // config_fuzz: the placeholder copy read before the text).
  EXPECT_EQ(ErrorOf("\xAF"),
            "f.toml:1:1: unexpected non-ASCII character (TOML allows them "
            "only in strings and comments)");
  EXPECT_EQ(ErrorOf("a = '\xAF\xAF'\n"), "f.toml:1:5: Encountered invalid utf-8 sequence");
}

}  // namespace
}  // namespace obp
