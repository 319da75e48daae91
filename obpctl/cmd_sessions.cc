// obpctl sessions list | show: every node asked in parallel, rows merged and
// sorted (by node then cs_id unless --sort says otherwise), once or every
// --watch interval; `show` prints one session's attributes, server sessions
// and variables. (`sessions history` is in cmd_history.cc.)
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "obpctl/commands.h"
#include "obpctl/locate.h"
#include "obpctl/selectors.h"
#include "obpctl/sessions_view.h"
#include "obpctl/table.h"
#include "obpctl/watch.h"

namespace obp::ctl {
namespace {

namespace pb = fleet::pb;

struct ListArgs {
  Selector select;
  std::string node;  // a node id; parsed by NodeIdFilter
  std::string sort = "id";
  std::string watch;  // the redraw interval; empty: list once
  int count = 0;      // with --watch: frames to draw, 0 = until Ctrl-C
  std::string output = "table";
};

struct ShowArgs {
  uint64_t cs_id = 0, conn_id = 0;
  bool has_cs_id = false, has_conn_id = false;
  std::string backend;
  bool all_variables = false;
  std::string output = "table";
};

// One listing of the fleet, as a frame: `sessions list` prints one, --watch
// one per interval.
WatchFrame ListFrame(fleet::FleetClient& client, const pb::ListSessionsRequest& request,
                     SessionOrder order, const std::string& output) {
  const auto results = client.ListSessionsAllSync(request);
  std::vector<pb::Session> sessions = MergeSessions(results);
  SortSessions(sessions, order);
  WatchFrame frame;
  if (output == "json") {
    std::vector<std::string> items;
    for (const auto& s : sessions) items.push_back(ProtoJson(s));
    frame.body = absl::StrCat("{\"sessions\":[", absl::StrJoin(items, ","),
                              "],\"errors\":", ErrorsJson(results), "}\n");
  } else {
    frame.body = SessionsTable(sessions, output == "wide").Render();
  }
  frame.errors = NodeErrorLines(results);
  frame.summary = absl::StrCat(sessions.size(), sessions.size() == 1 ? " session, " : " sessions, ",
                               results.size() - frame.errors.size(), " of ", results.size(),
                               " nodes answered");
  frame.exit_code = NodeErrorsExit(results);
  return frame;
}

int RunList(const GlobalFlags& flags, const ListArgs& args, Io io) {
  pb::ListSessionsRequest request;
  auto filter = BuildSessionFilter(args.select);
  if (!filter.ok()) return Fail(io, filter.status());
  *request.mutable_filter() = *std::move(filter);
  auto order = ParseSessionOrder(args.sort);
  if (!order.ok()) return Fail(io, order.status());
  if (args.count != 0 && args.watch.empty()) {
    return Fail(io, absl::InvalidArgumentError("--count goes with --watch"));
  }
  if (args.count < 0) {
    return Fail(io, absl::InvalidArgumentError("--count: expected a number of frames >= 1"));
  }
  auto interval = args.watch.empty() ? absl::StatusOr<absl::Duration>(absl::ZeroDuration())
                                     : ParseWatchInterval(args.watch);
  if (!interval.ok()) return Fail(io, interval.status());
  auto node = NodeIdFilter("sessions list", args.node);
  if (!node.ok()) return Fail(io, node.status());
  auto client = ClientForNode(flags, *node);
  if (!client.ok()) return Fail(io, client.status());
  auto frame = [&] { return ListFrame(**client, request, *order, args.output); };
  if (args.watch.empty()) {
    const WatchFrame once = frame();
    io.out << once.body;
    for (const auto& e : once.errors) io.err << "obpctl: " << e << "\n";
    return once.exit_code;
  }
  WatchOptions watch{*interval, args.count, args.output == "json",
                     args.sort == "id" ? "obpctl sessions list"
                                       : "obpctl sessions list --sort " + args.sort};
  return Watch(watch, frame, io);
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
  CLI::App* sessions = app.add_subcommand("sessions",
                                          "list or show client sessions, or those that ended");
  sessions->require_subcommand(1);
  sessions->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions list
  obpctl --fleet fleet.toml sessions show --cs-id 262145
  obpctl --fleet fleet.toml sessions history --since 1h --user app)"));

  auto list = std::make_shared<ListArgs>();
  CLI::App* ls = sessions->add_subcommand("list", "sessions of every node, sorted by node, cs_id");
  Selector& sel = list->select;
  ls->add_option("--user", sel.user, "only this user");
  ls->add_option("--tenant", sel.tenant, "only this tenant");
  ls->add_option("--db", sel.db, "only sessions using this database");
  ls->add_option("--state", sel.state, "MCS_INIT|MCS_ACTIVE_READER|MCS_KEEP_ALIVE|...");
  ls->add_option("--host", sel.host, "client ip, ip:port, or a prefix ending in '*'");
  ls->add_option("--node", list->node, "only the node with this id (1..8191)")->type_name("ID");
  ls->add_option("--idle-over", sel.idle_over, "only sessions idle at least this long (30s)")
      ->type_name("DURATION");
  AddStatementSelectorFlags(*ls, sel, "only sessions with a ");
  ls->add_option("--sort", list->sort,
                 "id: by node, cs_id (default); time: longest-running statement first; "
                 "idle: longest idle first")
      ->check(CLI::IsMember({"id", "time", "idle"}));
  ls->add_option("--watch", list->watch, "redraw every DURATION until Ctrl-C, like top (2s)")
      ->type_name("DURATION");
  ls->add_option("--count", list->count, "with --watch: stop after N frames")->type_name("N");
  ls->add_option("-o,--output", list->output, "table | wide | json")
      ->check(CLI::IsMember({"table", "wide", "json"}));
  ls->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml sessions list
  obpctl sessions list --user app --tenant sys --fleet fleet.toml
  obpctl --fleet fleet.toml sessions list --node 2 --idle-over 10m -o wide
  obpctl --node 127.0.0.1:2884 sessions list --timeout 1 -o json
  obpctl --fleet fleet.toml sessions list --running-over 5s --sort time -o wide
  obpctl --fleet fleet.toml sessions list --statement 'SELECT SLEEP%' --command COM_QUERY
  obpctl --fleet fleet.toml sessions list --watch 2s --sort time   # like top; Ctrl-C ends
  obpctl --fleet fleet.toml sessions list --watch 10s -o json | jq -c '.sessions | length'

--host takes an ip, ip:port, or a prefix ending in '*' (10.0.3.*).
--running-over, --statement and --command select statements: they match only
sessions executing a command right now. --statement is SQL LIKE ('%' any run,
'_' one character), case-insensitive, on the statement's first 1024 bytes.
--watch redraws the table in place on a terminal (cursor hidden, restored on
Ctrl-C, exit 0); piped, frames follow one another; with -o json it prints one
JSON document per line per interval.
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
  AddHistoryCommand(*sessions, flags, io, exit_code);
}

}  // namespace obp::ctl
