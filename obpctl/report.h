// How obpctl turns statuses into stderr lines and exit codes, in one place:
//   0 done, 1 usage or not found, 2 refused (permission, authentication,
//   ambiguous), 3 partial (some nodes unreachable or failed).
// When several apply, 2 wins over 3, and 3 over 1.
// Stateless helpers; the Io streams belong to the caller.
#ifndef OBP_OBPCTL_REPORT_H_
#define OBP_OBPCTL_REPORT_H_

#include <algorithm>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "common/fleet_client/fleet_client.h"

namespace obp::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;  // also "not found"
inline constexpr int kExitRefused = 2;
inline constexpr int kExitPartial = 3;

struct Io {
  std::ostream& out;
  std::ostream& err;
};

int ExitCodeFor(const absl::Status& status);
// The more important of two exit codes (see the header comment).
int WorseExit(int a, int b);

// "node 2 (127.0.0.1:7002)", or "node 127.0.0.1:7002" while the id is unknown.
std::string NodeLabel(const fleet::NodeTarget& node);
// "deadline exceeded", or "unavailable: failed to connect ..." when the
// message says more than the code.
std::string StatusText(const absl::Status& status);
// Writes "obpctl: MESSAGE" and returns ExitCodeFor(status).
int Fail(Io io, const absl::Status& status);

// Known node ids in order, then nodes whose id is still unknown (0) by address.
template <class T>
void SortByNode(std::vector<fleet::NodeResult<T>>& results) {
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.node.id == 0, a.node.id, a.node.address) <
           std::make_tuple(b.node.id == 0, b.node.id, b.node.address);
  });
}

// The exit code the failed nodes amount to (0 if none failed): refused if a
// node refused, else partial.
template <class T>
int NodeErrorsExit(const std::vector<fleet::NodeResult<T>>& results) {
  int code = kExitOk;
  for (const auto& r : results) {
    if (r.status.ok()) continue;
    code = WorseExit(code, ExitCodeFor(r.status) == kExitRefused ? kExitRefused : kExitPartial);
  }
  return code;
}

// One line per failed node: "node 2 (127.0.0.1:7002): deadline exceeded".
template <class T>
std::vector<std::string> NodeErrorLines(const std::vector<fleet::NodeResult<T>>& results) {
  std::vector<std::string> lines;
  for (const auto& r : results) {
    if (!r.status.ok()) lines.push_back(NodeLabel(r.node) + ": " + StatusText(r.status));
  }
  return lines;
}

// One stderr line per failed node ("obpctl: node 2 (...): deadline
// exceeded"); returns the exit code they amount to (0 if none failed).
template <class T>
int ReportNodeErrors(Io io, const std::vector<fleet::NodeResult<T>>& results) {
  for (const auto& line : NodeErrorLines(results)) io.err << "obpctl: " << line << "\n";
  return NodeErrorsExit(results);
}

// {"node_id":2,"address":"127.0.0.1:7002","code":"DEADLINE_EXCEEDED",
//  "error":"deadline exceeded"}; node_id is 0 when unknown.
std::string ErrorJson(const fleet::NodeTarget& node, const absl::Status& status);

// A JSON array with one object per failed node:
// [{"node_id":2,"address":"127.0.0.1:7002","code":"DEADLINE_EXCEEDED",
//   "error":"deadline exceeded"}]. node_id is 0 when unknown.
template <class T>
std::string ErrorsJson(const std::vector<fleet::NodeResult<T>>& results) {
  std::string out = "[";
  for (const auto& r : results) {
    if (r.status.ok()) continue;
    if (out.size() > 1) out += ",";
    out += ErrorJson(r.node, r.status);
  }
  return out + "]";
}

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_REPORT_H_
