"""deploy/systemd/proxyd.service passes `systemd-analyze verify`, reloads with SIGHUP and gives
a drain time to finish. verify also checks that ExecStart's binary exists and is executable,
and /usr/local/bin/proxyd is not installed on a build machine, so it verifies a temp copy whose
ExecStart points at the built proxyd (PROXYD_BIN); nothing else is changed. verify reports a
bad line as a warning with exit 0, so any output counts as a failure.
"""

import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "deploy", "systemd", "proxyd.service")
DRAIN_TIMEOUT_S = 30  # proxyd's default drain_timeout_s (SPEC §8)


def unit_text():
    with open(UNIT) as f:
        return f.read()


def settings():
    out = {}
    for line in unit_text().splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def verify(text):
    proxyd = os.environ.get("PROXYD_BIN")
    assert proxyd and os.access(proxyd, os.X_OK), "set PROXYD_BIN to the built proxyd"
    text, n = re.subn(r"^ExecStart=/usr/local/bin/proxyd ", f"ExecStart={proxyd} ", text, flags=re.M)
    assert n == 1
    with tempfile.TemporaryDirectory(prefix="obp-unit-") as d:
        path = os.path.join(d, "proxyd.service")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                              capture_output=True, text=True, timeout=60)


def test_unit_verifies_cleanly():
    r = verify(unit_text())
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), (r.stdout, r.stderr)


def test_verify_reports_a_bad_line():
    r = verify(unit_text().replace("KillSignal=SIGTERM", "KillSignal=SIGBOGUS"))
    assert "SIGBOGUS" in r.stderr, (r.returncode, r.stderr)


def test_reload_and_stop_timeout():
    s = settings()
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert s["KillSignal"] == ["SIGTERM"]
    (stop,) = s["TimeoutStopSec"]
    assert int(stop) > DRAIN_TIMEOUT_S, stop
