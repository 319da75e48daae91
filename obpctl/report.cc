#include "obpctl/report.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/fleet_client/grpc_status.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

int Rank(int code) {
  switch (code) {
    case kExitRefused: return 3;
    case kExitPartial: return 2;
    case kExitUsage: return 1;
    default: return 0;
  }
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
      return kExitRefused;
    default:
      return kExitPartial;
  }
}

int WorseExit(int a, int b) { return Rank(a) >= Rank(b) ? a : b; }

std::string NodeLabel(const fleet::NodeTarget& node) {
  return node.id != 0 ? absl::StrCat("node ", node.id, " (", node.address, ")")
                      : absl::StrCat("node ", node.address);
}

std::string StatusText(const absl::Status& status) { return fleet::StatusText(status); }

std::string ErrorJson(const fleet::NodeTarget& node, const absl::Status& status) {
  return absl::StrCat("{\"node_id\":", node.id, ",\"address\":", JsonString(node.address),
                      ",\"code\":", JsonString(absl::StatusCodeToString(status.code())),
                      ",\"error\":", JsonString(StatusText(status)), "}");
}

int Fail(Io io, const absl::Status& status) {
  io.err << "obpctl: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace obp::ctl
