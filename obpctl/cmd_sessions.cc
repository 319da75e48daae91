// obpctl sessions list | show: every node asked in parallel, rows merged and
// sorted by node then cs_id; `show` prints one session's attributes, server
// sessions and variables.
#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/core/ids.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/commands.h"
#include "obpctl/locate.h"
#include "obpctl/sessions_view.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;

struct ListArgs {
  std::string user, tenant, db, state, host, idle_over;
  std::string node;  // a node id; parsed by NodeIdFilter
  std::string output = "table";
};

struct ShowArgs {
  uint64_t cs_id = 0, conn_id = 0;
  bool has_cs_id = false, has_conn_id = false;
  std::string backend;
  bool all_variables = false;
  std::string output = "table";
};

absl::StatusOr<pb::ListSessionsRequest> BuildListRequest(const ListArgs& a) {
  pb::ListSessionsRequest req;
  auto* f = req.mutable_filter();
  f->set_user(a.user);
  f->set_tenant(a.tenant);
  f->set_db(a.db);
  f->set_client_host(a.host);
  if (!a.state.empty()) {
    auto state = ParseSessionState(a.state);
    if (!state.ok()) return state.status();
    f->set_state(*state);
  }
  if (!a.idle_over.empty()) {
    auto d = ParseDurationFlag("--idle-over", a.idle_over);
    if (!d.ok()) return d.status();
    *f->mutable_idle_over() = google::protobuf::util::TimeUtil::MicrosecondsToDuration(
        absl::ToInt64Microseconds(*d));
  }
  return req;
}

// `sessions list --node ID`: 0 when not given. The global --node HOST:PORT
// has the same name, and after `sessions list` this one wins; an address here
// is refused with the way to say what was meant.
absl::StatusOr<uint32_t> NodeIdFilter(const std::string& text) {
  if (text.empty()) return 0;
  uint32_t id = 0;
  if (absl::SimpleAtoi(text, &id) && id >= 1 && id <= kMaxNodeId) return id;
  if (text.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("sessions list --node takes a node id (1..8191), got \"", text,
                     "\"; to name a node by address, give --node before the command: "
                     "obpctl --node ", text, " sessions list"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("sessions list --node: expected a node id 1..8191, got \"", text, "\""));
}

// The client to ask: the whole fleet, or only node `--node` when given.
absl::StatusOr<std::unique_ptr<fleet::FleetClient>> ClientFor(const GlobalFlags& flags,
                                                             uint32_t node_id) {
  auto client = ClientFromFlags(flags);
  if (!client.ok() || node_id == 0) return client;
  auto index = NodeIndexById(**client, node_id);
  if (!index.ok()) return index.status();
  return fleet::FleetClient::Create({(*client)->nodes()[*index]}, (*client)->options());
}

int RunList(const GlobalFlags& flags, const ListArgs& args, Io io) {
  auto request = BuildListRequest(args);
  if (!request.ok()) return Fail(io, request.status());
  auto node = NodeIdFilter(args.node);
  if (!node.ok()) return Fail(io, node.status());
  auto client = ClientFor(flags, *node);
  if (!client.ok()) return Fail(io, client.status());
  const auto results = (*client)->ListSessionsAllSync(*request);
  const std::vector<pb::Session> sessions = MergeSessions(results);
  if (args.output == "json") {
    std::vector<std::string> items;
    for (const auto& s : sessions) items.push_back(ProtoJson(s));
    io.out << "{\"sessions\":[" << absl::StrJoin(items, ",") << "],\"errors\":"
           << ErrorsJson(results) << "}\n";
  } else {
    io.out << SessionsTable(sessions, args.output == "wide").Render();
  }
  return ReportNodeErrors(io, results);
}

int RunShow(const GlobalFlags& flags, const ShowArgs& args, Io io) {
  auto client = ClientFromFlags(flags);
  if (!client.ok()) return Fail(io, client.status());
  auto where = LocateSession(**client, args.has_cs_id ? std::optional(args.cs_id) : std::nullopt,
                             args.has_conn_id ? std::optional(args.conn_id) : std::nullopt,
                             args.backend);
  if (!where.ok()) return Fail(io, where.status());
  pb::GetAttributesRequest req;
  req.mutable_ref()->set_cs_id(where->cs_id);
  req.set_all_variables(args.all_variables);
  auto attrs = (*client)->GetAttributesSync(where->node_index, req);
  if (!attrs.ok()) {
    return Fail(io, absl::Status(attrs.status().code(),
                                 absl::StrCat(NodeLabel((*client)->nodes()[where->node_index]),
                                              ": ", StatusText(attrs.status()))));
  }
  if (args.output == "json") {
    io.out << ProtoJson(*attrs) << "\n";
  } else {
    io.out << AttributesText(*attrs);
  }
  return kExitOk;
}

}  // namespace

void AddSessionsCommand(CLI::App& app, const GlobalFlags& flags, Io io, int* exit_code) {
  CLI::App* sessions = app.add_subcommand("sessions", "list or show client sessions");
  sessions->require_subcommand(1);
  sessions->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions list
  obpctl --fleet fleet.toml sessions show --cs-id 262145)"));

  auto list = std::make_shared<ListArgs>();
  CLI::App* ls = sessions->add_subcommand("list", "sessions of every node, sorted by node, cs_id");
  ls->add_option("--user", list->user, "only this user");
  ls->add_option("--tenant", list->tenant, "only this tenant");
  ls->add_option("--db", list->db, "only sessions using this database");
  ls->add_option("--state", list->state, "MCS_INIT|MCS_ACTIVE_READER|MCS_KEEP_ALIVE|...");
  ls->add_option("--host", list->host, "client ip, ip:port, or a prefix ending in '*'");
  ls->add_option("--node", list->node, "only the node with this id (1..8191)")->type_name("ID");
  ls->add_option("--idle-over", list->idle_over, "only sessions idle at least this long (30s)");
  ls->add_option("-o,--output", list->output, "table | wide | json")
      ->check(CLI::IsMember({"table", "wide", "json"}));
  ls->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions list
  obpctl sessions list --user app --tenant sys --fleet fleet.toml
  obpctl --fleet fleet.toml sessions list --node 2 --idle-over 10m -o wide
  obpctl --node 127.0.0.1:2884 sessions list --timeout 1 -o json

--host takes an ip, ip:port, or a prefix ending in '*' (10.0.3.*).
Nodes that do not answer are reported on stderr (exit 3); the rest is shown.)"));
  ls->callback([&flags, list, io, exit_code] { *exit_code = RunList(flags, *list, io); });

  auto show = std::make_shared<ShowArgs>();
  CLI::App* sh = sessions->add_subcommand("show", "one session's attributes and server sessions");
  auto* cs = sh->add_option("--cs-id", show->cs_id, "client session id");
  auto* conn = sh->add_option("--conn-id", show->conn_id, "backend connection id");
  cs->excludes(conn);
  sh->add_option("--backend", show->backend, "with --conn-id: only this backend")->needs(conn);
  sh->add_flag("--all", show->all_variables, "also variables at their defaults");
  sh->add_option("-o,--output", show->output, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  sh->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions show --cs-id 262145
  obpctl --fleet fleet.toml sessions show --conn-id 1234 --backend primary
  obpctl --fleet fleet.toml sessions show --cs-id 262145 --all -o json

A cs_id is asked of its own node (from its bits); a --conn-id of every node,
and more than one match is refused with the candidates listed (exit 2).)"));
  sh->callback([&flags, show, cs, conn, io, exit_code] {
    show->has_cs_id = cs->count() > 0;
    show->has_conn_id = conn->count() > 0;
    *exit_code = RunShow(flags, *show, io);
  });
}

}  // namespace obp::ctl
