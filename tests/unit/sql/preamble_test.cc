#include "proxyd/sql/preamble.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace obp::sql {
namespace {

struct HintCase {
  std::string text;
  std::optional<std::string> backend;
  std::string body;  // text from body_offset
};

TEST(PreambleTest, HintsAndBodyOffset) {
  const std::vector<HintCase> cases = {
      {"SELECT 1", std::nullopt, "SELECT 1"},
      {"", std::nullopt, ""},
      {"   ", std::nullopt, ""},
      {"  /* c */ SELECT 1", std::nullopt, "SELECT 1"},
      {"-- c\n# d\n\tSELECT 1", std::nullopt, "SELECT 1"},
      {"/*+ proxyd: backend=b1 */ SELECT 1", "b1", "SELECT 1"},
      {"/*+proxyd:backend=b1*/SELECT 1", "b1", "SELECT 1"},
      {"/*+  PROXYD :  BACKEND  =  b1  */\nselect 1", "b1", "select 1"},
      {"/*+\tProxyd:\nbackend=B_1\n*/ select 1", "B_1", "select 1"},
      {"-- x\n/*+ proxyd: backend=b2 */ # y\n SELECT 1", "b2", "SELECT 1"},
      {"/* a */ /*+ proxyd: backend='b 3' */ select 1", "b 3", "select 1"},
      {"/*+ proxyd: backend=\"q\" */ select 1", "q", "select 1"},
      {"/*+ proxyd: backend=`bt` */ select 1", "bt", "select 1"},
      {"/*+ proxyd: backend=my-backend.1 */ SELECT 1", "my-backend.1", "SELECT 1"},
      {"/*+ proxyd: backend=b1, backend=b1 */ SELECT 1", "b1", "SELECT 1"},
      {"/*+ proxyd: backend=b1 */ /*+ proxyd: backend=b1 */ SELECT 1", "b1", "SELECT 1"},
      {"/*+ BKA(t1) */ SELECT 1", std::nullopt, "SELECT 1"},
      {"/*+ BKA(t1) proxyd: backend=x */ SELECT 1", std::nullopt, "SELECT 1"},
      {"/*+ proxydx: foo */ SELECT 1", std::nullopt, "SELECT 1"},
      {"/*+ proxyd_hint */ SELECT 1", std::nullopt, "SELECT 1"},
      {"/*+ BKA(t1) */ /*+ proxyd: backend=b9 */ SELECT 1", "b9", "SELECT 1"},
      {"SELECT /*+ proxyd: backend=b1 */ 1", std::nullopt, "SELECT /*+ proxyd: backend=b1 */ 1"},
      {"/*!40101 SET NAMES utf8 */", std::nullopt, "/*!40101 SET NAMES utf8 */"},
      {"/*+ proxyd: backend=b1 */ /*!40101 SET x=1 */", "b1", "/*!40101 SET x=1 */"},
      {"/*M!100101 SET x=1 */", std::nullopt, "/*M!100101 SET x=1 */"},
      {"/* unterminated", std::nullopt, ""},
      {"--", std::nullopt, ""},
      {"--x", std::nullopt, "--x"},
      {"-1", std::nullopt, "-1"},
      {"/x", std::nullopt, "/x"},
      {"(SELECT 1)", std::nullopt, "(SELECT 1)"},
  };
  for (const HintCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto p = ParsePreamble(c.text);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->backend_hint, c.backend);
    ASSERT_LE(p->body_offset, c.text.size());
    EXPECT_EQ(c.text.substr(p->body_offset), c.body);
  }
}

TEST(PreambleTest, MalformedHints) {
  const std::string kForm = "expected: /*+ proxyd: backend=NAME */";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/*+ proxyd: backend= */ SELECT 1", "empty backend name"},
      {"/*+ proxyd: backend=*/ SELECT 1", "empty backend name"},
      {"/*+ proxyd: backend='' */ SELECT 1", "empty backend name"},
      {"/*+ proxyd: foo=1 */ SELECT 1", "unknown key 'foo'"},
      {"/*+ proxyd: backend=a, node=2 */ SELECT 1", "unknown key 'node'"},
      {"/*+ proxyd */ SELECT 1", "missing ':'"},
      {"/*+ proxyd backend=a */ SELECT 1", "missing ':'"},
      {"/*+ proxyd: */ SELECT 1", "no backend given"},
      {"/*+ proxyd: backend */ SELECT 1", "missing '='"},
      {"/*+ proxyd: backend a */ SELECT 1", "missing '='"},
      {"/*+ proxyd: backend=a b */ SELECT 1", "unknown key 'b'"},
      {"/*+ proxyd: backend=a! */ SELECT 1", "unexpected '!'"},
      {"/*+ proxyd: backend=a */ /*+ proxyd: backend=b */ SELECT 1", "two different backends"},
      {"/*+ proxyd: backend=a SELECT 1", "unterminated comment"},
      {"/*+ proxyd: backend='a */ SELECT 1", "unterminated quoted backend name"},
  };
  for (const auto& [text, part] : cases) {
    SCOPED_TRACE(text);
    auto p = ParsePreamble(text);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string msg(p.status().message());
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_NE(msg.find(kForm), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace obp::sql
