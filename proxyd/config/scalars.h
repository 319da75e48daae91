// The top-level scalar keys of proxyd's config (node_id, listen, ...): their type,
// range and how each lands in ProxyConfig. One table serves the TOML file, the
// --flag overrides and the flags' --help text, so the three cannot drift apart.
//
// Thread rule: the table is built once (function-local static) and then read-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proxyd/config/config.h"

namespace obp::config::internal {

struct ScalarKey {
  enum class Kind { kString, kInt };
  const char* key;  // TOML spelling: "grpc_listen"
  Kind kind;
  int64_t min = 0;  // kInt only: inclusive range
  int64_t max = 0;
  const char* help;  // for --help
  // Stores a checked value. kInt keys get text of a base-10 integer already in range.
  absl::Status (*set)(ProxyConfig& c, absl::string_view value);
};

const std::vector<ScalarKey>& ScalarKeys();
const ScalarKey* FindScalarKey(absl::string_view key);

// "--grpc-listen" for "grpc_listen".
std::string FlagName(absl::string_view key);

// Checks `value` (as written in a flag, or an integer's decimal text) against the key's
// type and range, then stores it. Messages say what was expected and what was given:
//   expected an integer 1..8191, got "x"
absl::Status SetScalar(const ScalarKey& key, absl::string_view value, ProxyConfig& c);

// The known key closest to a misspelled one ("lsiten" -> "listen"), or "" if none is near.
std::string NearestKey(absl::string_view key, const std::vector<std::string>& known);

}  // namespace obp::config::internal
