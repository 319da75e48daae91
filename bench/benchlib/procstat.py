"""Reads a process's CPU time and memory from /proc.

The harness measures proxies from the outside so haproxy and proxyd are
measured the same way. Thread rule: stateless functions, safe anywhere.
"""
import os

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_times(pid):
    """(utime, stime) of the whole process (all threads), in seconds, or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields restart after ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[11]) / _CLK_TCK, int(fields[12]) / _CLK_TCK


def cpu_seconds(pid):
    """utime+stime of the whole process (all threads), in seconds, or None."""
    t = cpu_times(pid)
    return None if t is None else t[0] + t[1]


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
    """Snapshot of several pids' CPU time; delta() gives seconds used since.

    delta() maps each name to user+system seconds and "<name>_sys" to the
    system (kernel) part, which says how much a proxy could save in user
    space at all."""

    def __init__(self, pids):
        self._pids = {k: p for k, p in pids.items() if p}
        self._start = {k: cpu_times(p) for k, p in self._pids.items()}

    def delta(self):
        out = {}
        for k, p in self._pids.items():
            end, start = cpu_times(p), self._start[k]
            if end is not None and start is not None:
                out[k] = (end[0] - start[0]) + (end[1] - start[1])
                out[f"{k}_sys"] = end[1] - start[1]
        return out
