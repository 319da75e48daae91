// obpctl nodes: one row per node with its id, address, state (ok or the
// error), session count, server sessions open and idle in the pool (summed over
// backends; --output json has them per backend), version and uptime.
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/commands.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

using google::protobuf::util::TimeUtil;
using NodeInfoResult = fleet::NodeResult<fleet::pb::GetNodeInfoResponse>;

struct NodesArgs {
  std::string output = "table";
};

std::string Uptime(const fleet::pb::GetNodeInfoResponse& info) {
  if (!info.has_started_at()) return "-";
  const absl::Time started = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(info.started_at()));
  return HumanDuration(absl::Now() - started);
}

void PrintNodesTable(Io io, const std::vector<NodeInfoResult>& results) {
  Table table({"NODE", "ADDRESS", "STATE", "SESSIONS", "SS", "POOLED", "VERSION",
               "UPTIME"});
  for (const auto& r : results) {
    const std::string id = r.node.id != 0 ? absl::StrCat(r.node.id) : "?";
    if (!r.status.ok()) {
      table.AddRow({id, r.node.address, StatusText(r.status), "-", "-", "-", "-", "-"});
      continue;
    }
    uint64_t active = 0, pooled = 0;
    for (const auto& b : r.response.backends()) {
      active += b.active();
      pooled += b.pooled_idle();
    }
    table.AddRow({id, r.node.address, r.response.draining() ? "draining" : "ok",
                  absl::StrCat(r.response.session_count()),
                  absl::StrCat(active), absl::StrCat(pooled), r.response.version(),
                  Uptime(r.response)});
  }
  io.out << table.Render();
}

void PrintNodesJson(Io io, const std::vector<NodeInfoResult>& results) {
  std::string out = "{\"nodes\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"node_id\":", r.node.id, ",\"address\":", JsonString(r.node.address),
                    ",\"ok\":", r.status.ok() ? "true" : "false",
                    ",\"error\":", JsonString(r.status.ok() ? "" : StatusText(r.status)),
                    ",\"info\":", r.status.ok() ? ProtoJson(r.response) : "null", "}");
  }
  io.out << out << "]}\n";
}

int RunNodes(const GlobalFlags& flags, const NodesArgs& args, Io io) {
  auto client = ClientFromFlags(flags);
  if (!client.ok()) return Fail(io, client.status());
  auto results = (*client)->GetNodeInfoAllSync();
  SortByNode(results);
  if (args.output == "json") {
    PrintNodesJson(io, results);
  } else {
    PrintNodesTable(io, results);
  }
  return ReportNodeErrors(io, results);
}

}  // namespace

void AddNodesCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* cmd = app.add_subcommand("nodes", "list the fleet's nodes and their state");
  cmd->add_option("-o,--output", args->output, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml nodes
  obpctl nodes --discover dns:proxyd.obp.svc.cluster.local:2884
  obpctl --fleet fleet.toml nodes -o json

STATE is "ok", "draining" (see `obpctl nodes drain --help`), or why the node did not
answer (also on stderr; exit 3).
SS: server sessions open; POOLED: idle ones kept in the pool.)"));
  AddDrainCommand(*cmd, flags, io, exit_code);
  cmd->callback([&flags, args, io, exit_code, cmd] {
    if (!cmd->get_subcommands().empty()) return;  // `nodes drain` ran instead
    *exit_code = RunNodes(flags, *args, io);
  });
}

}  // namespace obp::ctl
