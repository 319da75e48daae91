#include "obpctl/watch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "obpctl/fleet_args.h"
#include "obpctl/table.h"

namespace obp::ctl {
namespace {

constexpr char kHideCursor[] = "\x1b[?25l";
constexpr char kShowCursor[] = "\x1b[?25h";
constexpr char kHome[] = "\x1b[H";
constexpr char kClearScreen[] = "\x1b[2J";
constexpr char kClearLine[] = "\x1b[K";
constexpr char kClearBelow[] = "\x1b[J";

// Shared with the signal handler, which may touch only lock-free atomics and
// call async-signal-safe functions (write).
std::atomic<int> g_wake_fd{-1};          // write end of the self-pipe
std::atomic<bool> g_cursor_hidden{false};  // show it from the handler at once
std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) {
  const int saved_errno = errno;
  g_interrupted.store(true);
  if (g_cursor_hidden.load()) {
    (void)!write(STDOUT_FILENO, kShowCursor, sizeof kShowCursor - 1);
  }
  const int fd = g_wake_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    (void)!write(fd, &byte, 1);
  }
  errno = saved_errno;
}

// For one Watch(): SIGINT and SIGTERM wake the loop through a self-pipe (so
// a sleep ends at once), SIGPIPE is ignored (a closed stdout ends the watch
// through a failed write instead of killing us); all restored afterwards.
class SignalScope {
 public:
  SignalScope() {
    g_interrupted.store(false);
    if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) pipe_[0] = pipe_[1] = -1;
    g_wake_fd.store(pipe_[1]);
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_wake_fd.store(-1);
    for (int fd : pipe_) {
      if (fd >= 0) close(fd);
    }
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  bool interrupted() const { return g_interrupted.load(); }

  // Sleeps until `deadline` or a signal, whichever comes first. Bounded: each
  // turn either returns or waits out part of the remaining time.
  void SleepUntil(absl::Time deadline) const {
    for (int turn = 0; turn < 1000 && !interrupted(); ++turn) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return;
      pollfd p{pipe_[0], POLLIN, 0};
      const int ms =
          static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
      if (poll(&p, pipe_[0] >= 0 ? 1 : 0, ms) > 0) return;
    }
  }

 private:
  int pipe_[2] = {-1, -1};
  struct sigaction old_int_ {}, old_term_ {}, old_pipe_ {};
};

// All of `bytes` to stdout; false when stdout is gone. A short write loops,
// bounded by the bytes left (and by a turn limit against EINTR storms).
bool WriteAll(const std::string& bytes) {
  size_t done = 0;
  for (int turn = 0; done < bytes.size() && turn < 10000; ++turn) {
    const ssize_t n = write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return done == bytes.size();
}

struct Window {
  int rows = 0, cols = 0;  // 0: unknown
};

Window TerminalWindow() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return {};
  return {ws.ws_row, ws.ws_col};
}

// What one frame shows on a terminal: header, errors, a blank line, the body.
std::string ScreenText(const WatchOptions& o, const WatchFrame& f) {
  std::string text = WatchHeader(o, f, absl::Now(), absl::LocalTimeZone()) + "\n";
  for (const auto& e : f.errors) absl::StrAppend(&text, e, "\n");
  return absl::StrCat(text, "\n", f.body);
}

// Writes one frame; false when the output is gone.
bool Draw(const WatchOptions& o, const WatchFrame& f, bool terminal, bool first, Io io) {
  if (terminal) {
    const Window w = TerminalWindow();
    // The last row stays free: a line written there would scroll the screen.
    const std::string screen = FitToScreen(ScreenText(o, f), w.rows > 1 ? w.rows - 1 : 0, w.cols);
    if (first) g_cursor_hidden.store(true);
    return WriteAll(TerminalFrame(screen, first));
  }
  for (const auto& e : f.errors) io.err << "obpctl: " << e << "\n";
  if (o.json) {
    io.out << f.body;
  } else {
    io.out << WatchHeader(o, f, absl::Now(), absl::LocalTimeZone()) << "\n\n" << f.body << "\n";
  }
  io.out.flush();
  return static_cast<bool>(io.out);
}

}  // namespace

absl::StatusOr<absl::Duration> ParseWatchInterval(const std::string& text) {
  auto d = ParseDurationFlag("--watch", text);
  if (!d.ok()) return d.status();
  if (*d < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--watch: ", text, " is too short; redraw at most every 100ms"));
  }
  return *d;
}

std::string WatchHeader(const WatchOptions& options, const WatchFrame& frame, absl::Time now,
                        absl::TimeZone tz) {
  return absl::StrCat("Every ", HumanDuration(options.interval), ": ", options.title,
                      "   ", absl::FormatTime("%H:%M:%S", now, tz), "   ", frame.summary);
}

std::string FitToScreen(const std::string& text, int rows, int cols) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final '\n'
  if (rows > 0 && static_cast<int>(lines.size()) > rows) {
    const size_t more = lines.size() - static_cast<size_t>(rows) + 1;
    lines.resize(static_cast<size_t>(rows) - 1);
    lines.push_back(absl::StrCat("... ", more, " more lines"));
  }
  std::string out;
  for (auto& line : lines) {
    if (cols > 0 && static_cast<int>(line.size()) > cols) line.resize(static_cast<size_t>(cols));
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string TerminalFrame(const std::string& screen, bool first) {
  std::string out = first ? absl::StrCat(kHideCursor, kHome, kClearScreen) : kHome;
  std::vector<absl::string_view> lines = absl::StrSplit(screen, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (absl::string_view line : lines) absl::StrAppend(&out, line, kClearLine, "\n");
  return absl::StrCat(out, kClearBelow);
}

int Watch(const WatchOptions& options, const std::function<WatchFrame()>& next, Io io) {
  // JSON documents follow one another even on a terminal: they are for tools.
  const bool terminal = !options.json && &io.out == &std::cout && isatty(STDOUT_FILENO) == 1;
  if (terminal) std::cout.flush();
  SignalScope signals;
  int code = kExitOk;
  absl::Time start = absl::Now();
  // Bounded by --count, or else by Ctrl-C / SIGTERM / stdout closing; the
  // frame limit only makes the bound explicit (decades at 100ms).
  constexpr int kMaxFrames = 1 << 30;
  const int frames = options.count > 0 ? options.count : kMaxFrames;
  for (int i = 0; i < frames && !signals.interrupted(); ++i) {
    if (i > 0) {
      start += options.interval;
      if (start < absl::Now()) start = absl::Now();  // a slow frame: don't catch up
      signals.SleepUntil(start);
      if (signals.interrupted()) break;
    }
    const WatchFrame frame = next();
    if (signals.interrupted()) break;
    if (!Draw(options, frame, terminal, i == 0, io)) break;
    code = frame.exit_code;
  }
  if (terminal) {
    g_cursor_hidden.store(false);
    WriteAll(kShowCursor);
  }
  return signals.interrupted() ? kExitOk : code;
}

}  // namespace obp::ctl
