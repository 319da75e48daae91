"""Reads a process's CPU time and memory from /proc.

The harness measures proxies from the outside so haproxy and proxyd are
measured the same way. Thread rule: stateless functions, safe anywhere.
"""
import os

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime+stime of the whole process (all threads), in seconds, or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields restart after ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLK_TCK


def rss_kib(pid):
    """Resident set size in KiB (VmRSS), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class CpuMeter:
    """Snapshot of several pids' CPU time; delta() gives seconds used since."""

    def __init__(self, pids):
        self._pids = {k: p for k, p in pids.items() if p}
        self._start = {k: cpu_seconds(p) for k, p in self._pids.items()}

    def delta(self):
        out = {}
        for k, p in self._pids.items():
            end = cpu_seconds(p)
            if end is not None and self._start[k] is not None:
                out[k] = end - self._start[k]
        return out
