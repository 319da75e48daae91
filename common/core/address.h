// HostPort: a "HOST:PORT" address as config, fleet files and flags spell it
// ("127.0.0.1:3306", "localhost:1", "[::1]:3306").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace obp {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

}  // namespace obp
