"""README.md as an operator's guide that cannot rot: every ```sh block right after a
`<!-- doc-test -->` line is run, in order, as one bash script (set -euo pipefail, so the first
failing command fails the test and the block it was in is named). It runs in a temp dir holding
a copy of deploy/ and scripts/ (so .sandbox/ is the temp dir's), with the built proxyd and
obpctl on the PATH, fleet ports and the sandbox MariaDB's default port chosen free now.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import ROOT, cleanup, fleet_env

README = os.path.join(ROOT, "README.md")
MARK = "<!-- doc-test -->"
TIMEOUT_S = 110


def marked_blocks():
    """[(line number of the fence, block text)] for each block after a MARK line."""
    lines = open(README).read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == MARK:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            assert j < len(lines) and lines[j].strip() == "```sh", f"README.md:{i + 1}: {MARK} not followed by ```sh"
            k = j + 1
            while k < len(lines) and lines[k].strip() != "```":
                k += 1
            assert k < len(lines), f"README.md:{j + 1}: unterminated block"
            blocks.append((j + 1, "\n".join(lines[j + 1:k])))
            i = k
        i += 1
    return blocks


def test_marked_blocks_are_found():
    blocks = marked_blocks()
    assert len(blocks) >= 5, blocks
    text = "\n".join(b for _, b in blocks)
    for must in ("fleet.sh start", "obpctl sessions list", "KILL $CS_ID", "obpctl kill",
                 "nodes drain", "fleet.sh stop"):
        assert must in text, must


def run_blocks(blocks, cwd, env):
    """Runs [(line, text)] as one `set -euo pipefail` script, bounded by TIMEOUT_S.
    Returns (exit code, stdout, stderr, the README locations of the blocks it reached)."""
    script = ["set -euo pipefail"]
    for line, text in blocks:
        script += [f"echo '### README.md:{line}' >&2", text]
    proc = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=cwd, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"README blocks still running after {TIMEOUT_S}s; stderr:\n{err[-3000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err, re.findall(r"^### (README\.md:\d+)$", err, re.M)


def test_a_failing_command_fails_its_block(tmp_path):
    blocks = [(10, "true"), (20, "echo one; false; echo never"), (30, "echo after")]
    rc, out, _, reached = run_blocks(blocks, tmp_path, dict(os.environ))
    assert rc != 0 and reached == ["README.md:10", "README.md:20"] and out == "one\n"
    rc, _, _, reached = run_blocks([(40, "false | cat")], tmp_path, dict(os.environ))
    assert rc != 0, "pipefail"


@pytest.fixture
def workdir():
    tmp = tempfile.mkdtemp(prefix="obp-readme-")
    for d in ("deploy", "scripts"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(tmp, d))
    env = fleet_env(tmp, 2)
    # Where the README's commands put things when run from the checkout (tmp stands in for it).
    env["FLEET_DIR"] = os.path.join(tmp, ".sandbox", "fleet")
    env["OBP_SANDBOX_DIR"] = os.path.join(tmp, ".sandbox")
    try:
        yield tmp, env
    finally:
        reports = cleanup(env)
        shutil.rmtree(tmp, ignore_errors=True)
        assert not reports, reports[0]


def test_readme_blocks_run(workdir):
    tmp, env = workdir
    bindir = os.path.join(tmp, "bin")
    os.mkdir(bindir)
    for var, name in (("PROXYD_BIN", "proxyd"), ("OBPCTL_BIN", "obpctl")):
        os.symlink(env[var], os.path.join(bindir, name))
    run_env = {k: v for k, v in env.items()
               if k not in ("FLEET_DIR", "OBP_SANDBOX_DIR", "PROXYD_BIN", "OBPCTL_BIN", "FLEET_BACKEND",
                            "OBPCTL_FLEET", "OBPCTL_TOKEN")}
    run_env["PATH"] = bindir + os.pathsep + env["PATH"]
    rc, out, err, reached = run_blocks(marked_blocks(), tmp, run_env)
    assert rc == 0, (f"exit {rc} in the block at {reached[-1:]}", out[-3000:], err[-3000:])
    # What a reader is told to expect.
    assert "started a MariaDB sandbox" in err
    assert "fleet of 2 nodes up" in out
    assert re.search(r"^proxyd \S+ \(commit \S+\)$", out, re.M), out[:500]
    assert "stopped the MariaDB sandbox it had started" in out
    # Both background clients lost their statement to a kill: the SQL KILL, then obpctl's.
    assert err.count("Lost connection to server during query") == 2, err[-3000:]
    assert re.search(r"^node 11 \(\S+\): killed 1: cs_id \d+$", out, re.M), out[-2000:]
    # The history names both kills: the forwarded SQL KILL and obpctl's, with its reason.
    assert re.search(r"\bkilled\s+by demo@\S+ from \S+ via node 11 .*via peer: SQL KILL", out), \
        out[-2000:]
    assert re.search(r"\bkilled\s+by token:\S+ via grpc: README walkthrough|\bkilled\s+by grpc \S+ via "
                     r"grpc: README walkthrough", out), out[-2000:]
    # The drain: node 12 had no session left, and `obpctl nodes` shows it draining.
    assert re.search(r"^node 12 drained: 0 session\(s\) ended by themselves, 0 killed in ", out,
                     re.M), out[-2000:]
    assert re.search(r"^12\s+\S+\s+draining\s", out, re.M), out[-2000:]
    assert len(reached) == len(marked_blocks())
