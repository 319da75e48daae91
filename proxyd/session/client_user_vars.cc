// ClientSession's user variables whose values proxyd does not know as literals: set
// from an expression, or assigned by a statement other than SET. Their values live on
// the server session that ran the statement; they are read back from it before another
// server session needs them, and reported when it is lost first (SPEC §2 "Nothing is
// lost silently"; README "Session state replay").
#include <spdlog/spdlog.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proxyd/session/client_session.h"
#include "proxyd/session/user_var_value.h"
#include "proxyd/sql/classify.h"

namespace obp::session {

std::vector<std::string> ClientSession::LostUserVars(const ServerSession& ss) {
  // A user variable set from a literal is replayed exactly; one set from an
  // expression (NOW(), @@x, a subquery) would be evaluated anew, a value the client
  // never saw, so it is reported and no longer set on new connections, as after a
  // direct reconnect.
  std::vector<std::string> inexact;
  for (const auto& [name, value] : ss.applied.vars) {
    if (name[0] == '@' && !sql::IsConstantExpression(value)) inexact.push_back(name);
  }
  std::vector<std::string> lost;
  if (!inexact.empty()) {
    for (const std::string& name : inexact) state_.vars.erase(name);
    lost.push_back(absl::StrCat(inexact.size() == 1 ? "user variable " : "user variables ",
                                absl::StrJoin(inexact, ", "),
                                " (set from an expression, so not set again)"));
  }
  // Values only that connection had (DropServerSession forgets them).
  std::vector<std::string> held_values;
  for (const auto& [name, n] : ss.applied.assigned) {
    if (auto it = state_.assigned.find(name); it != state_.assigned.end() && it->second == n) {
      held_values.push_back(name);
    }
  }
  if (!held_values.empty()) {
    lost.push_back(absl::StrCat(held_values.size() == 1 ? "user variable " : "user variables ",
                                absl::StrJoin(held_values, ", "), " (assigned by ",
                                held_values.size() == 1 ? "a statement" : "statements",
                                " other than SET, so not set again)"));
  }
  return lost;
}

void ClientSession::NoteAssigned(ServerSession* ss, const std::string& name) {
  const uint64_t n = ++assignments_;
  state_.vars.erase(name);
  ss->applied.vars.erase(name);
  state_.assigned[name] = n;
  ss->applied.assigned[name] = n;
}

int ClientSession::UserVarHolder(int index, const std::string& name) const {
  auto holds = [&](const StateSnapshot& s) {
    if (auto a = state_.assigned.find(name); a != state_.assigned.end()) {
      auto it = s.assigned.find(name);
      return it != s.assigned.end() && it->second == a->second;
    }
    auto want = state_.vars.find(name);
    auto it = s.vars.find(name);
    return want != state_.vars.end() && it != s.vars.end() && it->second == want->second;
  };
  if (holds(servers_[index]->applied)) return index;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (static_cast<int>(i) != index && servers_[i] && holds(servers_[i]->applied)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

asio::awaitable<absl::Status> ClientSession::PinUserVarValues(int index) {
  // Which variables `index` lacks whose value lives on another server session: one
  // set from an expression, held by the server session whose last SET of it has the
  // text the state has (the one that ran it); one assigned by another statement,
  // held by the server session with the same assignment number.
  std::map<int, std::vector<std::string>> by_holder;
  auto consider = [&](const std::string& name) {
    const int holder = UserVarHolder(index, name);
    if (holder == index) return;
    if (holder >= 0) {
      by_holder[holder].push_back(name);
    } else if (state_.assigned.erase(name) > 0) {
      // Not reachable today (a dropped holder's assignments are forgotten with it);
      // the variable is then simply not carried.
      spdlog::info("cs_id {}: {} has no holder; not carried", cs_id(), name);
    }
  };
  for (const auto& [name, value] : state_.vars) {
    if (name[0] == '@' && !sql::IsConstantExpression(value)) consider(name);
  }
  std::vector<std::string> assigned;
  for (const auto& entry : state_.assigned) assigned.push_back(entry.first);
  for (const std::string& name : assigned) consider(name);
  for (const auto& [holder, names] : by_holder) {
    ServerSession* ss = servers_[holder].get();
    // A holder that is gone took the values with it: that is reported now, before the
    // other backend could evaluate the expressions anew.
    if (ss->LikelyGone()) co_return DropClosedServerSession(holder);
    ss->state = ServerState::kActive;  // not droppable by a kill while asked
    auto r = co_await ss->QueryFirstRow(UserVarQuery(names));
    ss->state = ServerState::kIdle;
    if (!r.ok()) {
      // Half a reply may be left on the connection: it is not used again.
      co_return DropClosedServerSession(
          holder,
          absl::StrCat("reading its user variables back failed (", r.status().message(), ")"));
    }
    for (size_t k = 0; k < names.size(); ++k) {
      absl::StatusOr<std::string> literal = absl::UnavailableError("");
      if (r->error) {
        literal = absl::UnavailableError(r->error->message);
      } else {
        literal = UserVarLiteral(r->columns, r->row, k);
      }
      if (literal.ok()) {
        state_.assigned.erase(names[k]);
        ss->applied.assigned.erase(names[k]);
        state_.vars[names[k]] = *literal;
        ss->applied.vars[names[k]] = *std::move(literal);
      } else if (state_.assigned.erase(names[k]) > 0) {
        // No expression to fall back on: the variable stays where it is.
        ss->applied.assigned.erase(names[k]);
        spdlog::info("cs_id {}: {} not carried to another backend: {}", cs_id(), names[k],
                     std::string(literal.status().message()));
      } else {
        spdlog::info("cs_id {}: {} kept as an expression: {}", cs_id(), names[k],
                     std::string(literal.status().message()));
      }
    }
  }
  co_return absl::OkStatus();
}

}  // namespace obp::session
