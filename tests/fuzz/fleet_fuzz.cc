// libFuzzer target: the fleet file (common/core/fleet.h), read by proxyd and obpctl,
// and HOST:PORT parsing (common/core/address.h) that the fleet file, the config and
// the flags share.
//
// Input: the fleet file text; each of its lines is also parsed as HOST:PORT.
//
// For any input:
//  - a refusal is InvalidArgument naming the file ("fleet.toml:..." or
//    "fleet.toml: no [[node]]");
//  - an accepted fleet is not empty, ids are 1..8191 and unique, grpc is a valid
//    HOST:PORT and sql is empty or one;
//  - ParseHostPort accepts only a port 1..65535 in decimal digits, and
//    HostPort::ToString() parses back to the same host and port.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/core/address.h"
#include "common/core/fleet.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp {
namespace {

constexpr absl::string_view kSource = "fleet.toml";

void CheckHostPort(absl::string_view text) {
  absl::StatusOr<HostPort> hp = ParseHostPort(text);
  if (!hp.ok()) {
    FUZZ_CHECK(hp.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(hp->port >= 1);
  FUZZ_CHECK(!hp->host.empty());
  const size_t colon = text.rfind(':');
  FUZZ_CHECK(colon != absl::string_view::npos);
  const absl::string_view port = text.substr(colon + 1);
  FUZZ_CHECK(!port.empty() && port.size() <= 5);
  uint32_t value = 0;
  for (char c : port) {
    FUZZ_CHECK(c >= '0' && c <= '9');
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  FUZZ_CHECK(value == hp->port);
  absl::StatusOr<HostPort> back = ParseHostPort(hp->ToString());
  FUZZ_CHECK(back.ok() && back->host == hp->host && back->port == hp->port);
}

}  // namespace
}  // namespace obp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  CheckHostPort(text);
  for (absl::string_view line : absl::StrSplit(text, '\n')) CheckHostPort(line);

  absl::StatusOr<std::vector<FleetNode>> nodes = ParseFleet(text, kSource);
  if (!nodes.ok()) {
    FUZZ_CHECK(nodes.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(nodes.status().message(), absl::StrCat(kSource, ":")));
    return 0;
  }
  FUZZ_CHECK(!nodes->empty());
  std::set<uint32_t> ids;
  for (const FleetNode& n : *nodes) {
    FUZZ_CHECK(n.id >= 1 && n.id <= 8191);
    FUZZ_CHECK(ids.insert(n.id).second);
    FUZZ_CHECK(ParseHostPort(n.grpc).ok());
    FUZZ_CHECK(n.sql.empty() || ParseHostPort(n.sql).ok());
  }
  return 0;
}
