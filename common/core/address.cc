#include "absl/strings/string_view.h"
#include "common/core/address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace obp {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("expected \"HOST:PORT\", got \"", text, "\""));
  };
  HostPort hp;
  absl::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad();
    }
    hp.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || text.find(':') != colon) return bad();
    hp.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  uint32_t p = 0;
  if (hp.host.empty() || !absl::SimpleAtoi(port, &p) || p == 0 || p > 65535) return bad();
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

}  // namespace obp
