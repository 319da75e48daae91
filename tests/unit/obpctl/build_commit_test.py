"""cmake/build_commit.cmake, which gives proxyd and obpctl their build commit: git's short
HEAD for the top of a checkout, "unknown" elsewhere, an override when given, and the header
rewritten only when its text changes (so an unchanged commit recompiles nothing).

Run by ctest as: python3 -m pytest build_commit_test.py, with CMAKE and SCRIPT in the env.
"""

import os
import re
import subprocess

import pytest

CMAKE = os.environ.get("CMAKE", "cmake")
SCRIPT = os.environ.get("SCRIPT", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                               "cmake", "build_commit.cmake"))
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=m"]


def run_script(source_dir, out, commit=""):
    return subprocess.run([CMAKE, f"-DSOURCE_DIR={source_dir}", f"-DOUT={out}",
                           f"-DCOMMIT={commit}", "-P", SCRIPT],
                          capture_output=True, text=True, timeout=60)


def commit_in(out):
    with open(out) as f:
        m = re.search(r'#define OBP_BUILD_COMMIT "([^"]*)"', f.read())
    assert m, open(out).read()
    return m.group(1)


def git(repo, *args):
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "src"
    r.mkdir()
    git(r, "init", "-q")
    (r / "a.txt").write_text("one\n")
    git(r, "add", "a.txt")
    git(r, "commit", "-q", "-m", "one")
    return r


def test_top_of_a_checkout_gives_short_head(repo, tmp_path):
    out = tmp_path / "h" / "obp_build_commit.h"
    assert run_script(repo, out).returncode == 0
    head = git(repo, "rev-parse", "--short=12", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{12,}", head)
    assert commit_in(out) == head


def test_header_rewritten_only_when_the_commit_changes(repo, tmp_path):
    out = tmp_path / "obp_build_commit.h"
    assert run_script(repo, out).returncode == 0
    os.utime(out, (1_000_000, 1_000_000))
    assert run_script(repo, out).returncode == 0
    assert os.stat(out).st_mtime == 1_000_000  # same commit: untouched
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "two")
    assert run_script(repo, out).returncode == 0
    assert os.stat(out).st_mtime != 1_000_000
    assert commit_in(out) == git(repo, "rev-parse", "--short=12", "HEAD")


def test_outside_a_checkout_is_unknown(repo, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    out = tmp_path / "plain.h"
    assert run_script(plain, out).returncode == 0
    assert commit_in(out) == "unknown"
    # A tarball unpacked inside some other repository must not take its commit.
    inner = repo / "unpacked"
    inner.mkdir()
    assert run_script(inner, out).returncode == 0
    assert commit_in(out) == "unknown"


def test_override(repo, tmp_path):
    out = tmp_path / "o.h"
    assert run_script(repo, out, commit="deb-1.2+abc").returncode == 0
    assert commit_in(out) == "deb-1.2+abc"
    bad = run_script(repo, out, commit='x"; evil')
    assert bad.returncode != 0 and "OBP_BUILD_COMMIT" in bad.stderr
    assert commit_in(out) == "deb-1.2+abc"
