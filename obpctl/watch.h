// `--watch DURATION`: redraw a command's output every interval until Ctrl-C,
// like top(1). On a terminal each frame replaces the last: the cursor goes
// home, every line is rewritten and cleared to its end, the rest of the
// screen is cleared, all in one write(2), so the screen never flickers
// through an empty state; the frame is cut to the window so it never scrolls,
// and the cursor is hidden while watching. Elsewhere (a pipe, a file) frames
// simply follow one another; with -o json each frame is one JSON document on
// one line. Ctrl-C (SIGINT) or SIGTERM ends the watch: the cursor is shown
// again, the last frame stays on the screen, and the exit code is 0.
// Used from main's thread only; installs its signal handlers for the length
// of one Watch() call.
#ifndef OBP_OBPCTL_WATCH_H_
#define OBP_OBPCTL_WATCH_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "obpctl/report.h"

namespace obp::ctl {

// One frame of a watched command.
struct WatchFrame {
  std::string body;                 // a table or a JSON document, ending in '\n'
  std::string summary;              // for the header: "3 sessions, 3 of 3 nodes answered"
  std::vector<std::string> errors;  // "node 2 (127.0.0.1:7002): deadline exceeded"
  int exit_code = kExitOk;          // what the frame amounts to (report.h)
};

struct WatchOptions {
  absl::Duration interval;
  int count = 0;       // stop after this many frames; 0 = until Ctrl-C
  bool json = false;   // body only, one document per line, errors on stderr
  std::string title;   // "obpctl sessions list --sort time", for the header
};

// The --watch value: a duration as ParseDurationFlag takes it, at least 100ms
// (a faster redraw only loads the fleet).
absl::StatusOr<absl::Duration> ParseWatchInterval(const std::string& text);

// Draws next() every interval (measured from the start of the previous frame)
// until Ctrl-C, SIGTERM, `count` frames, or stdout closing. The terminal mode
// is used when io.out is std::cout and stdout is a terminal. Returns 0 when
// interrupted, else the last frame's exit code. A frame in progress is
// finished first, so Ctrl-C takes at most one --timeout to act (the cursor is
// shown at once).
int Watch(const WatchOptions& options, const std::function<WatchFrame()>& next, Io io);

// --- the pieces, for tests ---

// "Every 2s: obpctl sessions list   14:03:07   3 sessions, 3 of 3 nodes answered"
std::string WatchHeader(const WatchOptions& options, const WatchFrame& frame, absl::Time now,
                        absl::TimeZone tz);

// `text` cut to at most `rows` lines of at most `cols` bytes; when lines were
// dropped the last kept line says how many ("... 12 more lines"). rows or
// cols <= 0: no limit in that direction.
std::string FitToScreen(const std::string& text, int rows, int cols);

// The bytes one terminal frame writes: cursor home, each line of `screen`
// followed by clear-to-end-of-line, then clear-to-end-of-screen. `first`
// also hides the cursor and clears the screen once.
std::string TerminalFrame(const std::string& screen, bool first);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_WATCH_H_
