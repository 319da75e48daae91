// HostPort: a "HOST:PORT" address as config files, fleet files and flags spell it:
// "127.0.0.1:3306", "localhost:1", "[::1]:3306" (IPv6 in brackets). The host is not
// resolved here; a name is checked only for the characters a DNS name may hold.
//
// Thread rule: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp {

struct HostPort {
  std::string host;  // without the brackets of an IPv6 literal
  uint16_t port = 0;

  // Back to text: "[host]:port" when host holds a ':', else "host:port".
  std::string ToString() const;
};

// InvalidArgument reads `expected "HOST:PORT", got "<text>"` (callers prefix the key).
// The port must be 1..65535, in decimal digits only.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

}  // namespace obp
