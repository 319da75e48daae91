#include "obpctl/selectors.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/fleet_args.h"
#include "obpctl/sessions_view.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;

// Empty `text`: nullopt (the field stays unset, "any"); else the duration.
absl::StatusOr<std::optional<google::protobuf::Duration>> OptionalDuration(
    const std::string& flag, const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto d = ParseDurationFlag(flag, text);
  if (!d.ok()) return d.status();
  return google::protobuf::util::TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(*d));
}

}  // namespace

bool Selector::Empty() const {
  return user.empty() && tenant.empty() && db.empty() && state.empty() && host.empty() &&
         idle_over.empty() && !HasStatementSelector();
}

bool Selector::HasStatementSelector() const {
  return !running_over.empty() || !statement.empty() || !command.empty();
}

absl::StatusOr<pb::SessionFilter> BuildSessionFilter(const Selector& s) {
  pb::SessionFilter f;
  f.set_user(s.user);
  f.set_tenant(s.tenant);
  f.set_db(s.db);
  f.set_client_host(s.host);
  if (!s.state.empty()) {
    auto state = ParseSessionState(s.state);
    if (!state.ok()) return state.status();
    f.set_state(*state);
  }
  auto idle = OptionalDuration("--idle-over", s.idle_over);
  if (!idle.ok()) return idle.status();
  if (idle->has_value()) *f.mutable_idle_over() = **idle;
  auto running = OptionalDuration("--running-over", s.running_over);
  if (!running.ok()) return running.status();
  if (running->has_value()) *f.mutable_running_over() = **running;
  // A blank pattern would silently mean "any statement": refuse it instead.
  if (!s.statement.empty() && s.statement.find_first_not_of(" \t") == std::string::npos) {
    return absl::InvalidArgumentError("--statement: the pattern is blank");
  }
  f.set_statement(s.statement);
  f.set_command(s.command);
  return f;
}

void AddStatementSelectorFlags(CLI::App& cmd, Selector& s, const std::string& prefix) {
  cmd.add_option("--running-over", s.running_over,
                 prefix + "statement running at least this long (2s, 5m)")
      ->type_name("DURATION");
  cmd.add_option("--statement", s.statement,
                 prefix + "statement LIKE this ('SELECT SLEEP%', any case)")
      ->type_name("PATTERN");
  cmd.add_option("--command", s.command,
                 prefix + "command of this name running: COM_QUERY (or Query), COM_STMT_EXECUTE...")
      ->type_name("COMMAND");
}

}  // namespace obp::ctl
