// proxyd's log file: spdlog's default logger writing to `log_file`, reopened by
// name on SIGUSR1 so logrotate can rename the file and have proxyd start a new one
// (SPEC §8). Without a log file, logs go to stderr and reopening does nothing.
//
// Thread rule: OpenLogFile once at start-up, before other threads log; ReopenLogFile
// from any thread (the sink's own lock orders it against writers).
#pragma once

#include <string>

#include "absl/status/status.h"

namespace obp {

absl::Status OpenLogFile(const std::string& path);
absl::Status ReopenLogFile();

}  // namespace obp
