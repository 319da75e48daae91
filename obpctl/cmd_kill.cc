// obpctl kill: one session (by cs_id, or by connection_id resolved across
// the fleet), or every session matching a selector (--dry-run lists them,
// --yes kills them and reports per node). Each kill by selector carries the
// selector as only_if, so the node re-checks it at the kill: a statement that
// finished in between is left alone, not killed (SPEC §9).
#include <latch>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/core/mutex.h"
#include "obpctl/commands.h"
#include "obpctl/locate.h"
#include "obpctl/selectors.h"
#include "obpctl/sessions_view.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;

struct KillArgs {
  uint64_t cs_id = 0, conn_id = 0, ss_id = 0;
  bool has_cs_id = false, has_conn_id = false, has_ss_id = false;
  std::string backend, reason;
  bool query = false, dry_run = false, yes = false;
  Selector select;  // --user, --tenant, --host, --idle-over, statement selectors
  bool HasSelector() const { return !select.Empty(); }
};

constexpr const char* kSelectorFlags =
    "--user, --tenant, --host, --idle-over, --running-over, --statement, --command";

pb::KillSessionRequest BaseRequest(const KillArgs& a, uint32_t cs_id) {
  pb::KillSessionRequest req;
  req.mutable_ref()->set_cs_id(cs_id);
  req.set_mode(a.query ? pb::KILL_MODE_QUERY : pb::KILL_MODE_CONNECTION);
  req.set_reason(a.reason);
  req.set_dry_run(a.dry_run);
  return req;
}

std::string Describe(const pb::KillSessionResponse& r) {
  if (r.outcome() == pb::KILL_OUTCOME_NO_LONGER_MATCHES) {
    return absl::StrCat("cs_id ", r.cs_id(), " no longer matches; left alone");
  }
  std::string what = r.outcome() == pb::KILL_OUTCOME_WOULD_KILL      ? "would kill"
                     : r.outcome() == pb::KILL_OUTCOME_NOTHING_RUNNING ? "nothing running on"
                                                                       : "killed";
  std::string target = r.mode() == pb::KILL_MODE_QUERY ? "the query of cs_id" : "cs_id";
  std::string out = absl::StrCat(what, " ", target, " ", r.cs_id());
  if (r.has_ss_id()) absl::StrAppend(&out, " server session ", r.ss_id());
  std::vector<std::string> conns;
  for (const auto& k : r.server_sessions()) {
    conns.push_back(absl::StrCat(k.backend(), ":", k.connection_id(),
                                 k.backend_kill() ? " (backend kill)" : ""));
  }
  if (!conns.empty()) absl::StrAppend(&out, " [", absl::StrJoin(conns, ", "), "]");
  return out;
}

int RunKillOne(const GlobalFlags& flags, const KillArgs& a, Io io) {
  if (a.has_ss_id && a.query) {
    return Fail(io, absl::InvalidArgumentError("--ss-id and --query don't go together"));
  }
  auto client = ClientFromFlags(flags);
  if (!client.ok()) return Fail(io, client.status());
  auto where = LocateSession(**client, a.has_cs_id ? std::optional(a.cs_id) : std::nullopt,
                             a.has_conn_id ? std::optional(a.conn_id) : std::nullopt, a.backend);
  if (!where.ok()) return Fail(io, where.status());
  pb::KillSessionRequest req = BaseRequest(a, where->cs_id);
  if (a.has_ss_id) req.set_ss_id(a.ss_id);
  const std::string label = NodeLabel((*client)->nodes()[where->node_index]);
  auto resp = (*client)->KillSessionSync(where->node_index, req);
  if (!resp.ok()) {
    return Fail(io, absl::Status(resp.status().code(),
                                 absl::StrCat(label, ": ", StatusText(resp.status()))));
  }
  io.out << label << ": " << Describe(*resp) << "\n";
  if (resp->outcome() == pb::KILL_OUTCOME_PARTIAL) {
    // The session is gone; its statement may still run on the backend a while.
    io.err << "obpctl: warning: " << label << ": " << resp->message() << "\n";
  }
  return kExitOk;
}

// What the kills of one node came to, by cs_id.
struct Outcome {
  std::vector<std::string> killed, idle, left_alone, gone, failed;
  std::vector<std::string> warnings;  // KILL_OUTCOME_PARTIAL messages
};

void Record(Outcome& o, uint32_t cs_id, const absl::StatusOr<pb::KillSessionResponse>& r,
            int& code) {
  const std::string id = absl::StrCat(cs_id);
  if (r.ok()) {
    switch (r->outcome()) {
      case pb::KILL_OUTCOME_NOTHING_RUNNING: o.idle.push_back(id); return;
      case pb::KILL_OUTCOME_NO_LONGER_MATCHES: o.left_alone.push_back(id); return;
      case pb::KILL_OUTCOME_PARTIAL: o.warnings.push_back(r->message()); break;
      default: break;
    }
    o.killed.push_back(id);
  } else if (absl::IsNotFound(r.status())) {
    o.gone.push_back(id);  // ended between the listing and the kill
  } else {
    o.failed.push_back(absl::StrCat(id, ": ", StatusText(r.status())));
    code = WorseExit(code, ExitCodeFor(r.status()) == kExitRefused ? kExitRefused : kExitPartial);
  }
}

// Writes one node's outcome: counts and cs_ids on stdout, failures and
// warnings on stderr.
void PrintOutcome(const std::string& label, const Outcome& o, bool query, Io io) {
  const char* killed = query ? "killed the query of " : "killed ";
  if (!o.killed.empty()) {
    io.out << label << ": " << killed << o.killed.size() << ": cs_id "
           << absl::StrJoin(o.killed, ", ") << "\n";
  }
  if (!o.idle.empty()) {
    io.out << label << ": nothing running: cs_id " << absl::StrJoin(o.idle, ", ") << "\n";
  }
  for (const auto& id : o.left_alone) {
    io.out << label << ": cs_id " << id << " no longer matches; left alone\n";
  }
  if (!o.gone.empty()) {
    io.out << label << ": already gone: cs_id " << absl::StrJoin(o.gone, ", ") << "\n";
  }
  for (const auto& f : o.failed) io.err << "obpctl: " << label << ": cs_id " << f << "\n";
  for (const auto& w : o.warnings) io.err << "obpctl: warning: " << label << ": " << w << "\n";
}

// Kills every listed session in parallel, each only if it still matches
// `only_if`; per node, what was killed, left alone and what failed.
int KillAll(fleet::FleetClient& client, const KillArgs& a, const pb::SessionFilter& only_if,
            const std::vector<std::pair<size_t, uint32_t>>& targets, Io io) {
  obp::Mutex mu;
  std::map<size_t, Outcome> by_node;
  int code = kExitOk;
  std::latch pending(static_cast<std::ptrdiff_t>(targets.size()));
  for (const auto& [index, cs_id] : targets) {
    pb::KillSessionRequest req = BaseRequest(a, cs_id);
    *req.mutable_only_if() = only_if;
    client.KillSession(index, req,
                       [&, index = index, cs_id = cs_id](absl::StatusOr<pb::KillSessionResponse> r) {
                         {
                           obp::MutexLock lock(&mu);
                           Record(by_node[index], cs_id, r, code);
                         }
                         pending.count_down();
                       });
  }
  pending.wait();
  obp::MutexLock lock(&mu);
  const auto nodes = client.nodes();
  for (const auto& [index, o] : by_node) PrintOutcome(NodeLabel(nodes[index]), o, a.query, io);
  return code;
}

int RunKillSelected(const GlobalFlags& flags, const KillArgs& a, Io io) {
  if (a.dry_run == a.yes) {
    return Fail(io, absl::InvalidArgumentError(
                        "killing by selector needs exactly one of --dry-run and --yes"));
  }
  if (a.has_ss_id || !a.backend.empty()) {
    return Fail(io, absl::InvalidArgumentError("--ss-id and --backend need --cs-id or --conn-id"));
  }
  auto filter = BuildSessionFilter(a.select);
  if (!filter.ok()) return Fail(io, filter.status());
  pb::ListSessionsRequest list;
  *list.mutable_filter() = *filter;
  auto client = ClientFromFlags(flags);
  if (!client.ok()) return Fail(io, client.status());
  const auto results = (*client)->ListSessionsAllSync(list);
  int code = ReportNodeErrors(io, results);
  std::vector<std::pair<size_t, uint32_t>> targets;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].status.ok()) continue;
    for (const auto& s : results[i].response.sessions()) targets.emplace_back(i, s.cs_id());
  }
  if (a.dry_run) {
    // With a statement selector the statements are what is chosen: show them.
    io.out << SessionsTable(MergeSessions(results), a.select.HasStatementSelector()).Render()
           << targets.size()
           << (a.query ? " statement(s) would be killed" : " session(s) would be killed")
           << "; run again with --yes to kill them\n";
    return code;
  }
  if (targets.empty()) {
    io.out << "no matching sessions\n";
    return code;
  }
  return WorseExit(code, KillAll(**client, a, *filter, targets, io));
}

}  // namespace

void AddKillCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code) {
  auto a = std::make_shared<KillArgs>();
  CLI::App* cmd = app.add_subcommand(
      "kill",
      "kill one session (--cs-id | --conn-id) or all matching a selector "
      "(--user/--tenant/--host/--idle-over/--running-over/--statement/--command "
      "with --dry-run or --yes)");
  auto* cs = cmd->add_option("--cs-id", a->cs_id, "client session id (goes to its node)");
  auto* conn = cmd->add_option("--conn-id", a->conn_id,
                               "backend connection id (resolved on every node)");
  cs->excludes(conn);
  cmd->add_option("--backend", a->backend, "with --conn-id: only this backend");
  auto* ss = cmd->add_option("--ss-id", a->ss_id, "kill only this server session");
  cmd->add_flag("--query", a->query, "kill the running statement, keep the session");
  cmd->add_flag("--dry-run", a->dry_run, "resolve and check, kill nothing");
  cmd->add_option("--reason", a->reason, "free text for the audit log");
  cmd->add_option("--user", a->select.user, "selector: sessions of this user");
  cmd->add_option("--tenant", a->select.tenant, "selector: sessions of this tenant");
  cmd->add_option("--host", a->select.host,
                  "selector: client ip, ip:port or prefix ending in '*'");
  cmd->add_option("--idle-over", a->select.idle_over, "selector: idle at least this long (10m)")
      ->type_name("DURATION");
  AddStatementSelectorFlags(*cmd, a->select, "selector: sessions with a ");
  cmd->add_flag("-y,--yes", a->yes, "with a selector: really kill the matches");
  cmd->footer(SubcommandFooter(
      R"(  obpctl --fleet fleet.toml kill --cs-id 262145 --reason "runaway report"
  obpctl --fleet fleet.toml kill --cs-id 262145 --query     # the statement only
  obpctl --fleet fleet.toml kill --conn-id 1234 --backend primary --dry-run
  obpctl --fleet fleet.toml kill --user alice --idle-over 10m --dry-run
  obpctl --fleet fleet.toml kill --user alice --idle-over 10m --yes
  obpctl --fleet fleet.toml kill --running-over 2m --dry-run     # what runs too long
  obpctl --fleet fleet.toml kill --running-over 2m --yes --reason "over 2 minutes"
  obpctl --fleet fleet.toml kill --statement 'SELECT SLEEP%' --query --yes

A cs_id goes straight to its node (from its bits); a --conn-id is looked up on
every node, and more than one match is refused with the candidates listed and
nothing killed (exit 2). A selector lists first: --dry-run shows the matches,
--yes kills them. Each kill asks its node to re-check the selector at the
kill: a session that no longer matches (its statement finished meanwhile) is
left alone and reported as "cs_id N no longer matches; left alone" (exit 0).
--running-over, --statement and --command match only sessions executing a
command; with --query only the matching statements are killed and the
sessions stay.)"));
  cmd->callback([&flags, a, cs, conn, ss, io, exit_code] {
    a->has_cs_id = cs->count() > 0;
    a->has_conn_id = conn->count() > 0;
    a->has_ss_id = ss->count() > 0;
    if (a->has_cs_id || a->has_conn_id) {
      *exit_code = a->HasSelector()
                       ? Fail(io, absl::InvalidArgumentError(absl::StrCat(
                                      kSelectorFlags, " select many sessions; "
                                      "don't combine them with --cs-id or --conn-id")))
                       : RunKillOne(flags, *a, io);
    } else if (a->HasSelector()) {
      *exit_code = RunKillSelected(flags, *a, io);
    } else {
      *exit_code = Fail(io, absl::InvalidArgumentError(absl::StrCat(
                                "kill: give --cs-id, --conn-id, or a selector (",
                                kSelectorFlags, ")")));
    }
  });
}

}  // namespace obp::ctl
