#include "proxyd/session/session_state.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
      items.push_back(absl::StrCat(name, "=", value));
    } else {
      items.push_back(absl::StrCat("SESSION ", name, "=", value));
    }
  }
  if (!items.empty()) plan.set_statement = absl::StrCat("SET ", absl::StrJoin(items, ", "));
  return plan;
}

}  // namespace obp::session
