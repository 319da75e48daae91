"""A tmux server of a test's own (its -L socket) with one session: start a command in a
terminal of a given size, type keys, read the screen and the cursor flag. For tests of
what a user sees in a real terminal (Ctrl-C in the mysql client, `obpctl --watch`)."""

import os
import subprocess
import time


class Tmux:
    def __init__(self, name):
        self.socket = f"obp-{name}-{os.getpid()}"
        self.name = name

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10, check=check)

    def start(self, command, rows=50, cols=200, env=None):
        """Runs `command` in a new session of rows x cols; env: the server's environment
        (default: this process's)."""
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-s", self.name, "-x", str(cols), "-y", str(rows), command],
                       env=env, check=True, timeout=10, capture_output=True)

    def keys(self, *keys):
        self.run("send-keys", "-t", self.name, *keys)

    def screen(self, scrollback=0):
        """The visible screen, plus `scrollback` lines above it (wrapped lines joined)."""
        extra = ["-J", "-S", str(-scrollback)] if scrollback else []
        return self.run("capture-pane", "-p", *extra, "-t", self.name, check=False).stdout

    def cursor_visible(self):
        return self.run("display-message", "-p", "-t", self.name, "#{cursor_flag}").stdout.strip()

    def alive(self):
        return self.run("has-session", "-t", self.name, check=False).returncode == 0

    def wait_for(self, pred, timeout, scrollback=0):
        """Polls the screen until pred(screen) holds; returns the last screen seen."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen(scrollback)
            if pred(text) or time.monotonic() >= deadline:
                return text
            time.sleep(0.1)

    def kill(self):
        self.run("kill-server", check=False)
