"""tests/deploy: helpers shared by the fleet.sh and README tests (tests/lib on sys.path)."""

import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fleet_env(tmp, n):
    """The environment that isolates deploy/local/fleet.sh in TMP: its state dir, a private
    sandbox dir, port bases with base+1..base+n free, and a sandbox default port that is free
    (so "no MariaDB on the default port" holds), all chosen now (bounded tries)."""
    for _ in range(50):
        # Below the ephemeral range (32768..), so no client socket takes one meanwhile.
        sql, grpc = random.randrange(20000, 25000), random.randrange(25000, 30000)
        if not any(sandbox.port_open(b + i) for b in (sql, grpc) for i in range(1, n + 1)):
            break
    else:
        raise RuntimeError("no free port ranges")
    return dict(os.environ, FLEET_DIR=os.path.join(tmp, "fleet"),
                OBP_SANDBOX_DIR=os.path.join(tmp, "sandbox"),
                OBP_SANDBOX_DB_PORT=str(sandbox.free_port()),
                FLEET_SQL_BASE=str(sql), FLEET_GRPC_BASE=str(grpc),
                PROXYD_BIN=sandbox.env_path("PROXYD_BIN"), OBPCTL_BIN=sandbox.env_path("OBPCTL_BIN"))


def cleanup(env):
    """Stops what a test left running (fleet nodes, then the sandbox MariaDB), bounded, and
    returns the text of proxyd logs that show a sanitizer report."""
    subprocess.run(["bash", os.path.join(ROOT, "deploy", "local", "fleet.sh"), "stop"], env=env,
                   capture_output=True, timeout=60)
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "mariadb-sandbox.sh"), "stop"], env=env,
                   capture_output=True, timeout=60)
    reports = []
    fleet_dir = env["FLEET_DIR"]
    for name in sorted(os.listdir(fleet_dir)) if os.path.isdir(fleet_dir) else []:
        if name.endswith(".log"):
            with open(os.path.join(fleet_dir, name), errors="replace") as f:
                text = f.read()
            if any(m in text for m in sandbox.SANITIZER_MARKERS):
                reports.append(text[-4000:])
    return reports
