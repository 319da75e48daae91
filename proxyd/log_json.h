// The JSON form of proxyd's log (log_format = "json", SPEC §8): one object per
// line, {"time":"2026-12-01T05:10:00.123456Z","level":"info","thread":1234,
// "msg":"..."}, for collectors that parse lines (Loki, Fluent Bit, Vector).
//
// Thread rule: spdlog calls the formatter under its sink's lock; UseJsonLogFormat
// once at start-up, before other threads log.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace obp {

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter();
// Sets it on the default logger (stderr, or the log file once OpenLogFile ran).
void UseJsonLogFormat();

}  // namespace obp
