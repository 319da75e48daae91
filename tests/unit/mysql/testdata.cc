#include "tests/unit/mysql/testdata.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace obp::mysql::testing {

std::string Unhex(const std::string& hex) { return absl::HexStringToBytes(hex); }

Capture LoadCapture(const std::string& name) {
  Capture c;
  std::ifstream in(std::string(OBP_MYSQL_TESTDATA_DIR) + "/" + name + ".hex");
  if (!in) {
    ADD_FAILURE() << "missing capture " << name;
    return c;
  }
  std::string line, hex;
  while (std::getline(in, line)) {
    absl::string_view v(line);
    if (absl::ConsumePrefix(&v, "# caps: 0x")) {
      EXPECT_TRUE(absl::SimpleHexAtoi(v, &c.caps)) << line;
    } else if (!absl::StartsWith(v, "#")) {
      hex += std::string(absl::StripAsciiWhitespace(v));
    }
  }
  c.bytes = Unhex(hex);
  return c;
}

std::vector<RawPacket> SplitPackets(const std::string& bytes) {
  std::vector<RawPacket> out;
  size_t pos = 0;
  while (pos + 4 <= bytes.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + pos);
    uint32_t len = p[0] | p[1] << 8 | p[2] << 16;
    out.push_back({len, p[3], bytes.substr(pos + 4, len)});
    pos += 4 + len;
  }
  return out;
}

std::string FirstPayload(const std::string& bytes) {
  auto packets = SplitPackets(bytes);
  return packets.empty() ? std::string() : packets[0].payload;
}

}  // namespace obp::mysql::testing
