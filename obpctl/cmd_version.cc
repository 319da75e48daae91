// obpctl version: obpctl's own version and build commit, then every node's
// (GetNodeInfo), one row per node; --client prints obpctl's alone and needs
// no fleet.
#include "absl/strings/str_cat.h"
#include "common/core/build_info.h"
#include "obpctl/commands.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

using NodeInfoResult = fleet::NodeResult<fleet::pb::GetNodeInfoResponse>;

struct VersionArgs {
  bool client_only = false;
  std::string output = "table";
};

// Nodes built before GetNodeInfoResponse.build_commit existed leave it empty.
std::string Or(const std::string& s, const char* absent) { return s.empty() ? absent : s; }

std::string ClientJson() {
  return absl::StrCat("{\"version\":", JsonString(std::string(BuildVersion())),
                      ",\"build_commit\":", JsonString(std::string(BuildCommit())), "}");
}

void PrintVersionTable(Io io, const std::vector<NodeInfoResult>& results) {
  Table table({"NODE", "ADDRESS", "STATE", "VERSION", "COMMIT"});
  for (const auto& r : results) {
    const std::string id = r.node.id != 0 ? absl::StrCat(r.node.id) : "?";
    if (!r.status.ok()) {
      table.AddRow({id, r.node.address, StatusText(r.status), "-", "-"});
      continue;
    }
    table.AddRow({id, r.node.address, "ok", Or(r.response.version(), "-"),
                  Or(r.response.build_commit(), "-")});
  }
  io.out << table.Render();
}

void PrintVersionJson(Io io, const std::vector<NodeInfoResult>& results) {
  std::string out = absl::StrCat("{\"client\":", ClientJson(), ",\"nodes\":[");
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const bool ok = r.status.ok();
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"node_id\":", r.node.id,
                    ",\"address\":", JsonString(r.node.address), ",\"ok\":", ok ? "true" : "false",
                    ",\"error\":", JsonString(ok ? "" : StatusText(r.status)),
                    ",\"version\":", JsonString(ok ? r.response.version() : ""),
                    ",\"build_commit\":", JsonString(ok ? r.response.build_commit() : ""), "}");
  }
  io.out << out << "]}\n";
}

int RunVersion(const GlobalFlags& flags, const VersionArgs& args, Io io) {
  const bool json = args.output == "json";
  if (args.client_only) {
    io.out << (json ? absl::StrCat("{\"client\":", ClientJson(), "}") : "obpctl " + VersionText())
           << "\n";
    return kExitOk;
  }
  auto client = ClientFromFlags(flags);
  if (!client.ok()) {
    return Fail(io, absl::Status(client.status().code(),
                                 absl::StrCat(client.status().message(),
                                              "\n(obpctl version --client shows obpctl's own "
                                              "version without asking any node)")));
  }
  auto results = (*client)->GetNodeInfoAllSync();
  SortByNode(results);
  if (json) {
    PrintVersionJson(io, results);
  } else {
    io.out << "obpctl " << VersionText() << "\n\n";
    PrintVersionTable(io, results);
  }
  return ReportNodeErrors(io, results);
}

}  // namespace

void AddVersionCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code) {
  auto args = std::make_shared<VersionArgs>();
  CLI::App* cmd = app.add_subcommand(
      "version", "obpctl's version and build commit, and every node's (GetNodeInfo)");
  cmd->add_flag("--client", args->client_only, "only obpctl's own version; asks no node");
  cmd->add_option("-o,--output", args->output, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml version
  obpctl version --client
  obpctl version --node 127.0.0.1:2884 -o json

A node that does not answer shows its error in STATE (and on stderr; exit 3).
COMMIT is "unknown" for a build made outside a git checkout.)"));
  cmd->callback([&flags, args, io, exit_code] { *exit_code = RunVersion(flags, *args, io); });
}

}  // namespace obp::ctl
