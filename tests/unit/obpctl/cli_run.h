// Runs the obpctl binary (OBPCTL_BIN) as a process, as an operator would:
// its exit code, stdout and stderr. Test-only; each call is its own process.
#ifndef OBP_TESTS_UNIT_OBPCTL_CLI_RUN_H_
#define OBP_TESTS_UNIT_OBPCTL_CLI_RUN_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace obp::testing {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const CliRun& r);

// Runs obpctl with `args`; the inherited OBPCTL_* variables are dropped and
// `env` added. Bounded: killed (and the test failed) after 30 s.
CliRun Obpctl(std::vector<std::string> args, std::vector<std::string> env = {});

// A fleet file in the test's temp dir naming `nodes` (id, gRPC address).
std::string FleetFile(const std::vector<std::pair<uint32_t, std::string>>& nodes);

}  // namespace obp::testing

#endif  // OBP_TESTS_UNIT_OBPCTL_CLI_RUN_H_
