#include "proxyd/session/session_state.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace obp::session {

ReplayPlan PlanReplay(const StateSnapshot& have, const StateSnapshot& want) {
  ReplayPlan plan;
  if (want.db != have.db && !want.db.empty()) plan.init_db = want.db;
  std::vector<std::string> items;
  // NAMES first: it resets character_set_* which a later var may set again.
  if (want.names != have.names && !want.names.empty()) {
    items.push_back(want.names.rfind("CHARACTER SET", 0) == 0 ? want.names
                                                               : absl::StrCat("NAMES ", want.names));
  }
  if (want.autocommit != have.autocommit) {
    items.push_back(absl::StrCat("autocommit=", want.autocommit ? 1 : 0));
  }
  for (const auto& [name, value] : want.vars) {
    auto it = have.vars.find(name);
    if (it != have.vars.end() && it->second == value) continue;
    if (name[0] == '@') {
      items.push_back(absl::StrCat(UserVarRef(name), "=", value));
    } else {
      items.push_back(absl::StrCat("SESSION ", name, "=", value));
    }
  }
  if (!items.empty()) plan.set_statement = absl::StrCat("SET ", absl::StrJoin(items, ", "));
  if (want.role != have.role && !want.role.empty()) plan.role_statement = "SET ROLE " + want.role;
  return plan;
}

std::string UserVarRef(const std::string& key) {
  const bool plain = key.size() > 1 && std::all_of(key.begin() + 1, key.end(), [](char c) {
                       return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                              c == '$' || c == '.';
                     });
  if (plain) return key;
  return absl::StrCat("@`", absl::StrReplaceAll(key.substr(1), {{"`", "``"}}), "`");
}

}  // namespace obp::session
