#include "common/core/fleet.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "common/core/ids.h"
#include "common/core/status_macros.h"
#include "common/core/toml_util.h"

namespace obp {
namespace {

// Reads one [[node]] table; `path` is "node[i]" for messages.
absl::StatusOr<FleetNode> ParseNode(const toml::node& entry, const std::string& path,
                                    absl::string_view source) {
  const toml::table* t = entry.as_table();
  if (t == nullptr) {
    return TomlError(source, entry.source().begin, path,
                     absl::StrCat("expected a table, got ", TomlTypeName(entry)));
  }
  FleetNode n;
  for (auto&& [key, value] : *t) {
    const std::string k(key.str());
    const std::string kp = absl::StrCat(path, ".", k);
    const toml::source_position& at = key.source().begin;
    if (k == "id") {
      std::optional<int64_t> id = value.value_exact<int64_t>();
      if (!id || *id < 1 || *id > kMaxNodeId) {
        std::string got = id ? absl::StrCat(*id) : TomlTypeName(value);
        return TomlError(source, at, kp, absl::StrCat("expected an integer 1..8191, got ", got));
      }
      n.id = static_cast<uint32_t>(*id);
    } else if (k == "grpc" || k == "sql") {
      std::optional<std::string> text = value.value_exact<std::string>();
      if (!text) {
        return TomlError(
            source, at, kp,
            absl::StrCat("expected a string \"HOST:PORT\", got ", TomlTypeName(value)));
      }
      if (auto hp = ParseHostPort(*text); !hp.ok()) {
        return TomlError(source, at, kp, hp.status().message());
      }
      (k == "grpc" ? n.grpc : n.sql) = *std::move(text);
    } else {
      return TomlError(source, at, kp, "unknown key (a node has id, grpc, sql)");
    }
  }
  if (n.id == 0) return TomlError(source, t->source().begin, path + ".id", "missing");
  if (n.grpc.empty()) return TomlError(source, t->source().begin, path + ".grpc", "missing");
  return n;
}

}  // namespace

absl::StatusOr<std::vector<FleetNode>> ParseFleet(absl::string_view text,
                                                  absl::string_view source) {
  OBP_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(text, source));
  for (auto&& [key, value] : root) {
    if (key.str() != "node") {
      return TomlError(source, key.source().begin, std::string(key.str()),
                       "unknown key (a fleet file holds only [[node]] tables)");
    }
  }
  const toml::node* node = root.get("node");
  if (node == nullptr) return absl::InvalidArgumentError(absl::StrCat(source, ": no [[node]]"));
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return TomlError(source, node->source().begin, "node",
                     absl::StrCat("expected [[node]] tables, got ", TomlTypeName(*node)));
  }
  std::vector<FleetNode> nodes;
  absl::flat_hash_map<uint32_t, size_t> index_of_id;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string path = absl::StrCat("node[", i, "]");
    OBP_ASSIGN_OR_RETURN(FleetNode n, ParseNode((*arr)[i], path, source));
    auto [it, fresh] = index_of_id.emplace(n.id, i);
    if (!fresh) {
      const toml::table& t = *(*arr)[i].as_table();
      return TomlError(source, t.find("id")->first.source().begin, path + ".id",
                       absl::StrCat("duplicate id ", n.id, " (also node[", it->second, "])"));
    }
    nodes.push_back(std::move(n));
  }
  if (nodes.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no [[node]]"));
  return nodes;
}

absl::StatusOr<std::vector<FleetNode>> LoadFleetFile(const std::string& path) {
  OBP_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "fleet file"));
  return ParseFleet(text, path);
}

}  // namespace obp
