#include "proxyd/log_json.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/core/json.h"

namespace obp {
namespace {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::Time t = absl::FromChrono(msg.time);
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    std::string line = absl::StrCat(
        "{\"time\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()),
        "\",\"level\":\"", absl::string_view(level.data(), level.size()),
        "\",\"thread\":", msg.thread_id, ",\"msg\":",
        JsonString(std::string_view(msg.payload.data(), msg.payload.size())), "}\n");
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter() {
  return std::make_unique<JsonLogFormatter>();
}

void UseJsonLogFormat() { spdlog::default_logger()->set_formatter(MakeJsonLogFormatter()); }

}  // namespace obp
