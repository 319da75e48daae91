// The fleet file (SPEC §7), read by obpctl and by proxyd for cross-node kills:
//   [[node]]
//   id = 1
//   grpc = "127.0.0.1:2884"
//   sql = "127.0.0.1:2883"     # optional
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace obp {

struct FleetNode {
  uint32_t id = 0;
  std::string grpc;
  std::string sql;
};

absl::StatusOr<std::vector<FleetNode>> LoadFleetFile(const std::string& path);
// Errors read "<source>:<line>:<col>: node[<i>].<key>: <what>".
absl::StatusOr<std::vector<FleetNode>> ParseFleet(absl::string_view toml_text,
                                                  absl::string_view source_name);

}  // namespace obp
