"""What a test reads about a process from /proc, as a user with `ps` or `top` would.

Thread rule: stateless functions, safe anywhere.
"""
import os

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def fd_count(pid: int) -> int:
    """Open file descriptors of the process."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces; fields restart after ')'.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def rss_kib(pid: int) -> int:
    """Resident set size of the process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")
