// The fleet file (SPEC §7): the nodes of a fleet, read by obpctl and by proxyd for
// cross-node kills.
//   [[node]]
//   id = 1                      # 1..8191, unique
//   grpc = "127.0.0.1:2884"     # SessionService address, required
//   sql = "127.0.0.1:2883"      # MySQL address, optional
//
// Thread rule: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp {

struct FleetNode {
  uint32_t id = 0;
  std::string grpc;  // HOST:PORT, as written
  std::string sql;   // HOST:PORT, or empty when not given
};

// Nodes in file order. Errors name the file, the position and the key, e.g.
//   fleet.toml:7:1: node[2].grpc: expected "HOST:PORT", got "abc"
// A missing or unreadable file, a TOML syntax error, an unknown or wrong-typed key, a
// missing id/grpc, an id outside 1..8191, a duplicate id, a malformed address and a
// file without any [[node]] are all refused.
absl::StatusOr<std::vector<FleetNode>> LoadFleetFile(const std::string& path);
absl::StatusOr<std::vector<FleetNode>> ParseFleet(absl::string_view toml_text,
                                                  absl::string_view source_name);

}  // namespace obp
