// obpctl sessions history: the sessions that ended on every node (SPEC §9),
// asked in parallel, merged by end time with the newest at the bottom, like a
// log. A node that has forgotten sessions the request may have wanted says so
// on stderr; unreachable nodes are reported as everywhere else (exit 3).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/core/ids.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/commands.h"
#include "obpctl/history_view.h"
#include "obpctl/locate.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;

struct HistoryArgs {
  std::string since;  // a duration back from now; empty: all the nodes remember
  std::string user, tenant, host, reason;
  uint64_t cs_id = 0;
  bool has_cs_id = false;
  std::string node;  // a node id; parsed by NodeIdFilter
  std::string output = "table";
};

// The request, and the time --since stands for (nullopt without it).
struct HistoryQuery {
  pb::ListEndedSessionsRequest request;
  std::optional<absl::Time> since;
};

absl::StatusOr<HistoryQuery> BuildHistoryQuery(const HistoryArgs& a, absl::Time now) {
  HistoryQuery q;
  auto* f = q.request.mutable_filter();
  f->set_user(a.user);
  f->set_tenant(a.tenant);
  f->set_client_host(a.host);
  if (!a.reason.empty()) {
    if (auto st = CheckEndReason(a.reason); !st.ok()) return st;
    f->set_reason(a.reason);
  }
  if (a.has_cs_id) {
    if (!IsValidCsIdShape(a.cs_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--cs-id: ", a.cs_id, " is not a cs_id (1..2^31-1 with a non-zero sequence part)"));
    }
    f->set_cs_id(static_cast<uint32_t>(a.cs_id));
  }
  if (!a.since.empty()) {
    auto back = ParseDurationFlag("--since", a.since);
    if (!back.ok()) return back.status();
    q.since = now - *back;
    *f->mutable_since() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(*q.since));
  }
  return q;
}

void Print(const HistoryArgs& a, const EndedResults& results, Io io) {
  const std::vector<pb::EndedSession> sessions = MergeEnded(results);
  if (a.output != "json") {
    io.out << HistoryTable(sessions, a.output == "wide", absl::Now(), absl::LocalTimeZone())
                  .Render();
    return;
  }
  std::vector<std::string> items;
  items.reserve(sessions.size());
  for (const auto& s : sessions) items.push_back(ProtoJson(s));
  io.out << "{\"sessions\":[" << absl::StrJoin(items, ",")
         << "],\"nodes\":" << HistoryNodesJson(results) << ",\"errors\":" << ErrorsJson(results)
         << "}\n";
}

int RunHistory(const GlobalFlags& flags, const HistoryArgs& args, Io io) {
  const absl::Time now = absl::Now();
  auto query = BuildHistoryQuery(args, now);
  if (!query.ok()) return Fail(io, query.status());
  auto node = NodeIdFilter("sessions history", args.node);
  if (!node.ok()) return Fail(io, node.status());
  auto client = ClientForNode(flags, *node);
  if (!client.ok()) return Fail(io, client.status());
  EndedResults results = (*client)->ListEndedSessionsAllSync(query->request);
  for (auto& r : results) {
    // A node running a proxyd from before SPEC §9 answers with gRPC's bare
    // "unimplemented"; say what that means.
    if (absl::IsUnimplemented(r.status)) {
      r.status = absl::UnimplementedError("its proxyd predates session history; upgrade it");
    }
  }
  Print(args, results, io);
  for (const auto& note : ForgottenNotes(results, query->since, now, absl::LocalTimeZone())) {
    io.err << "obpctl: " << note << "\n";
  }
  return ReportNodeErrors(io, results);
}

// CLI11 check for --reason: the nine words, named in the message; its
// description ("{client_quit,...}") also tells completion the choices.
CLI::Validator ReasonValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const absl::Status st = CheckEndReason(value);
        return st.ok() ? "" : std::string(st.message());
      },
      absl::StrCat("{", absl::StrJoin(kEndReasons, ","), "}"));
}

}  // namespace

void AddHistoryCommand(CLI::App& sessions, const GlobalFlags& flags, Io io, int* exit_code) {
  auto a = std::make_shared<HistoryArgs>();
  CLI::App* cmd = sessions.add_subcommand(
      "history", "sessions that ended on every node, and why, oldest first");
  cmd->add_option("--since", a->since, "only sessions that ended in the last DURATION (10m, 2h)")
      ->type_name("DURATION");
  cmd->add_option("--user", a->user, "only this user");
  cmd->add_option("--tenant", a->tenant, "only this tenant");
  cmd->add_option("--host", a->host, "client ip, ip:port, or a prefix ending in '*'");
  cmd->add_option("--reason", a->reason, "only sessions that ended this way")
      ->check(ReasonValidator());
  auto* cs = cmd->add_option("--cs-id", a->cs_id, "only this client session id");
  cmd->add_option("--node", a->node, "only the node with this id (1..8191)")->type_name("ID");
  cmd->add_option("-o,--output", a->output, "table | wide | json")
      ->check(CLI::IsMember({"table", "wide", "json"}));
  cmd->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions history --since 10m
  obpctl --fleet fleet.toml sessions history --user app --reason killed -o wide
  obpctl --fleet fleet.toml sessions history --cs-id 262145      # why did it end?
  obpctl --fleet fleet.toml sessions history --node 2 --since 1h -o json

Rows are merged across nodes by end time, the newest at the bottom. ENDED is
local time (the date too when not today). REASON is one of client_quit,
client_gone, killed, backend_lost, idle_timeout, login_timeout, login_failed,
drain, error; DETAIL says who killed it ("by ACTOR via sql|grpc|peer: reason")
or what went wrong. -o wide adds DB, CREATED, DURATION, STMTS, TRX, IN/OUT
bytes and the last statement. A node keeps its last history_size sessions;
when it has forgotten some that --since asks for, a note on stderr says since
when it remembers. -o json prints
  {"sessions":[EndedSession...],"nodes":[{"node_id","address","kept_since",
   "forgotten","history_size"}],"errors":[Error...]}
Nodes that do not answer are reported on stderr (exit 3); the rest is shown.)"));
  cmd->callback([&flags, a, cs, io, exit_code] {
    a->has_cs_id = cs->count() > 0;
    *exit_code = RunHistory(flags, *a, io);
  });
}

}  // namespace obp::ctl
