#include "absl/strings/string_view.h"
#include "common/core/fleet.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "common/core/ids.h"

namespace obp {
namespace {

std::string Where(absl::string_view source, const toml::source_region& r) {
  return absl::StrCat(source, ":", r.begin.line, ":", r.begin.column);
}

}  // namespace

absl::StatusOr<std::vector<FleetNode>> ParseFleet(absl::string_view text, absl::string_view source) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()), std::string_view(source.data(), source.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(source, e.source()), ": ", std::string(e.description())));
  }
  for (auto&& [key, value] : root) {
    if (key.str() != "node") {
      return absl::InvalidArgumentError(absl::StrCat(Where(source, value.source()), ": unknown key '",
                                                     std::string(key.str()), "' (expected [[node]] tables)"));
    }
  }
  std::vector<FleetNode> nodes;
  const toml::array* arr = root["node"].as_array();
  if (root.contains("node") && arr == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": node: expected [[node]] tables"));
  }
  absl::flat_hash_set<uint32_t> seen;
  for (size_t i = 0; arr && i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    std::string at = Where(source, (*arr)[i].source());
    std::string path = absl::StrCat("node[", i, "]");
    if (!t) return absl::InvalidArgumentError(absl::StrCat(at, ": ", path, ": expected a table"));
    FleetNode n;
    for (auto&& [key, value] : *t) {
      std::string k(key.str());
      std::string here = absl::StrCat(Where(source, value.source()), ": ", path, ".", k);
      if (k == "id") {
        auto v = value.value<int64_t>();
        if (!v || *v < 1 || *v > kMaxNodeId) {
          return absl::InvalidArgumentError(absl::StrCat(here, ": expected an integer 1..8191"));
        }
        n.id = static_cast<uint32_t>(*v);
        if (!seen.insert(n.id).second) {
          return absl::InvalidArgumentError(absl::StrCat(here, ": duplicate node id ", n.id));
        }
      } else if (k == "grpc" || k == "sql") {
        auto v = value.value<std::string>();
        if (!v) return absl::InvalidArgumentError(absl::StrCat(here, ": expected a string"));
        auto hp = ParseHostPort(*v);
        if (!hp.ok()) return absl::InvalidArgumentError(absl::StrCat(here, ": ", hp.status().message()));
        (k == "grpc" ? n.grpc : n.sql) = *v;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(here, ": unknown key"));
      }
    }
    if (n.id == 0) return absl::InvalidArgumentError(absl::StrCat(at, ": ", path, ".id: missing"));
    if (n.grpc.empty()) return absl::InvalidArgumentError(absl::StrCat(at, ": ", path, ".grpc: missing"));
    nodes.push_back(std::move(n));
  }
  return nodes;
}

absl::StatusOr<std::vector<FleetNode>> LoadFleetFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read fleet file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseFleet(ss.str(), path);
}

}  // namespace obp
