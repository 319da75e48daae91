#include "proxyd/log_file.h"

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace obp {
namespace {

// A file sink that can reopen its file by name. spdlog's basic_file_sink keeps
// its file open for good; replacing the default logger instead would race with
// threads logging through it.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, false); }
  void Reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

std::shared_ptr<ReopenableFileSink>& Sink() {
  static auto* sink = new std::shared_ptr<ReopenableFileSink>();
  return *sink;
}

}  // namespace

absl::Status OpenLogFile(const std::string& path) {
  try {
    auto sink = std::make_shared<ReopenableFileSink>(path);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("proxyd", sink));
    Sink() = std::move(sink);
  } catch (const spdlog::spdlog_ex& e) {
    return absl::InvalidArgumentError(absl::StrCat("log_file: ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status ReopenLogFile() {
  if (!Sink()) return absl::OkStatus();
  try {
    Sink()->Reopen();
  } catch (const spdlog::spdlog_ex& e) {
    return absl::UnavailableError(absl::StrCat("log_file: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace obp
