// obpctl nodes drain ID [--timeout 30s]: takes one node out of service (SPEC §8,
// the Drain rpc) and waits until it has no session left.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/core/ids.h"
#include "google/protobuf/util/time_util.h"
#include "obpctl/commands.h"
#include "obpctl/locate.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

using google::protobuf::util::TimeUtil;

struct DrainArgs {
  std::string node;
  std::string timeout;  // empty: the node's drain_timeout_s
  std::string output = "text";
};

// Beyond the drain's own timeout: the kills at its end (backend_kill_timeout_ms
// each, in parallel) and the answer's way back.
constexpr absl::Duration kAnswerSlack = absl::Seconds(15);
// When the node's drain_timeout_s is not known here: the most a drain may last.
constexpr absl::Duration kLongestDrain = absl::Seconds(3600);

int RunDrain(const GlobalFlags& flags, const DrainArgs& args, Io io) {
  uint32_t node_id = 0;
  if (!absl::SimpleAtoi(args.node, &node_id) || node_id < 1 || node_id > kMaxNodeId) {
    return Fail(io, absl::InvalidArgumentError(absl::StrCat(
                        "nodes drain takes a node id (1..8191, as `obpctl nodes` shows), got \"",
                        args.node, "\"")));
  }
  fleet::pb::DrainRequest request;
  absl::Duration wait = kLongestDrain;
  if (!args.timeout.empty()) {
    auto timeout = ParseDurationFlag("--timeout", args.timeout);
    if (!timeout.ok()) return Fail(io, timeout.status());
    *request.mutable_timeout() =
        TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(*timeout));
    wait = *timeout;
  }
  auto client = ClientFromFlags(flags);
  if (!client.ok()) return Fail(io, client.status());
  auto index = NodeIndexById(**client, node_id);
  if (!index.ok()) return Fail(io, index.status());
  if (args.output != "json") {
    io.err << "draining node " << node_id << " ("
           << (args.timeout.empty() ? "its drain_timeout_s" : args.timeout)
           << " before the remaining sessions are killed)...\n";
  }
  auto r = (*client)->DrainSync(*index, request, absl::Now() + wait + kAnswerSlack);
  if (!r.ok()) {
    return Fail(io, absl::Status(r.status().code(),
                                 absl::StrCat(NodeLabel((*client)->nodes()[*index]), ": ",
                                              StatusText(r.status()))));
  }
  if (args.output == "json") {
    io.out << ProtoJson(*r) << "\n";
  } else {
    io.out << r->message() << " in "
           << HumanDuration(absl::Nanoseconds(TimeUtil::DurationToNanoseconds(r->took())))
           << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddDrainCommand(CLI::App& nodes, const GlobalFlags& flags, Io io, int* exit_code) {
  auto args = std::make_shared<DrainArgs>();
  CLI::App* cmd = nodes.add_subcommand(
      "drain", "take a node out of service: no new sessions, idle ones closed, the rest "
               "killed at the timeout; waits until it has none left");
  cmd->add_option("ID", args->node, "the node's id (see obpctl nodes)")->required();
  cmd->add_option("--timeout", args->timeout,
                  "sessions get this long to end by themselves, then are killed "
                  "(default: the node's drain_timeout_s; a bare number is seconds)");
  cmd->add_option("-o,--output", args->output, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->footer(SubcommandFooter(R"(  obpctl --fleet fleet.toml nodes drain 2
  obpctl nodes drain 2 --timeout 2m     # before a rolling upgrade of node 2
  obpctl nodes drain 2 -o json

The node closes its SQL port and reports NOT_SERVING to health checks at once; a
session closes as soon as it is idle outside a transaction; the rest are killed at
the timeout (audited with reason "drain"). A drained node stays up, not serving,
until it is restarted; SIGTERM does the same drain and then exits.
Here --timeout is the drain's; the call itself waits until the drain is over.)"));
  cmd->callback([&flags, args, io, exit_code] { *exit_code = RunDrain(flags, *args, io); });
}

}  // namespace obp::ctl
