"""obpctl's command line against a real three-node fleet (SPEC §5, §8): global flags before
or after the command, a bare --timeout number as seconds, `obpctl version` listing every
node with its build commit, `proxyd --version` without a config, the message for a missing
fleet, and the bash / zsh completion scripts sourced and driven in a real shell.
"""

import os
import re
import shutil
import subprocess

import pytest

import sandbox
from conftest import parse_table, wait_until

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERSION_LINE = re.compile(r"(\w+) (\d+\.\d+\.\d+\S*) \(commit ([0-9a-f]{12,40}|unknown)\)")


def env_without_fleet():
    env = dict(os.environ)
    env.pop("OBPCTL_FLEET", None)
    env.pop("OBPCTL_TOKEN", None)
    return env


def proxyd_version():
    """(version, commit) that `proxyd --version` prints: no --config needed."""
    r = subprocess.run([sandbox.env_path("PROXYD_BIN"), "--version"], capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.stdout, r.stderr)
    m = VERSION_LINE.fullmatch(r.stdout.strip())
    assert m and m.group(1) == "proxyd", r.stdout
    return m.group(2), m.group(3)


def test_proxyd_version_prints_version_and_commit():
    version, commit = proxyd_version()
    if commit != "unknown" and shutil.which("git"):
        # A commit of this repository (HEAD may have moved on since the build).
        r = subprocess.run(["git", "-C", REPO, "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True, timeout=10)
        assert r.returncode == 0, f"{commit} is not a commit of {REPO}"


def test_flags_before_or_after_the_command(fleet, obpctl, opener):
    conns = {n: opener(n) for n in (1, 2, 3)}
    ids = {c.thread_id() for c in conns.values()}
    f = fleet.fleet_file
    for args in (
        ["sessions", "list", "--timeout", "1"],             # fleet before, timeout after
        ["--timeout", "1s", "sessions", "list"],            # both before
        ["sessions", "list", "--fleet", f, "--timeout", "1", "--user", "app"],  # all after
        ["sessions", "--timeout", "1", "list"],             # between the two words
    ):
        fleet_args = None if "--fleet" not in args else []
        r = obpctl.run(*args, fleet_args=fleet_args)
        assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        listed = {int(row["CS_ID"]) for row in parse_table(r.stdout)}
        assert ids <= listed, (args, ids, r.stdout)
        assert r.stderr == "", (args, r.stderr)


def test_bare_timeout_is_seconds_with_a_stopped_node(fleet, obpctl, opener):
    mine = opener(1)
    fleet.sigstop(2)
    try:
        r = obpctl.run("sessions", "list", "--timeout", "0.5")
    finally:
        fleet.sigcont(2)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert f"obpctl: node 2 ({fleet.grpc[2]}): deadline exceeded" in r.stderr, r.stderr
    assert str(mine.thread_id()) in r.stdout, r.stdout
    assert wait_until(lambda: obpctl.run("nodes").returncode == 0, timeout=10)


def test_version_lists_every_node(fleet, obpctl):
    version, commit = proxyd_version()
    r = obpctl.run("version")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    first, rest = r.stdout.split("\n", 1)
    m = VERSION_LINE.fullmatch(first)
    assert m and m.group(1) == "obpctl", first
    assert (m.group(2), m.group(3)) == (version, commit), (first, version, commit)  # one build
    rows = parse_table(rest)
    assert [int(row["NODE"]) for row in rows] == [1, 2, 3], rest
    for row in rows:
        assert row["ADDRESS"] == fleet.grpc[int(row["NODE"])], row
        assert (row["STATE"], row["VERSION"], row["COMMIT"]) == ("ok", version, commit), row

    doc = obpctl.json("version")
    assert doc["client"] == {"version": version, "build_commit": commit}
    assert [(n["node_id"], n["address"], n["ok"], n["version"], n["build_commit"])
            for n in doc["nodes"]] == [(i, fleet.grpc[i], True, version, commit)
                                       for i in (1, 2, 3)]
    # GetNodeInfo carries it too, so `nodes -o json` shows it.
    assert {n["info"]["build_commit"] for n in obpctl.json("nodes")["nodes"]} == {commit}


def test_version_with_a_stopped_node_is_partial(fleet, obpctl):
    fleet.sigstop(3)
    try:
        r = obpctl.run("version", "--timeout", "0.5")
    finally:
        fleet.sigcont(3)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    rows = {int(row["NODE"]): row for row in parse_table(r.stdout.split("\n", 2)[2])}
    assert rows[1]["STATE"] == rows[2]["STATE"] == "ok", rows
    assert rows[3]["STATE"] == "deadline exceeded" and rows[3]["VERSION"] == "-", rows
    assert f"obpctl: node 3 ({fleet.grpc[3]}): deadline exceeded" in r.stderr, r.stderr
    assert wait_until(lambda: obpctl.run("nodes").returncode == 0, timeout=10)


def test_version_from_obpctl_fleet(fleet, obpctl):
    env = env_without_fleet()
    env["OBPCTL_FLEET"] = fleet.fleet_file
    r = subprocess.run([obpctl.binary, "version", "-o", "json"], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert '"node_id":3' in r.stdout, r.stdout


def test_missing_fleet_names_the_ways(obpctl_binary):
    for args in (["sessions", "list"], ["sessions", "list", "--timeout", "1"], ["version"]):
        r = subprocess.run([obpctl_binary, *args], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=env_without_fleet())
        assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith("obpctl: no fleet given"), r.stderr
        for way in ("--fleet FILE", "--node HOST:PORT", "--discover dns:NAME:PORT",
                    "OBPCTL_FLEET"):
            assert way in r.stderr, (way, r.stderr)


@pytest.fixture(scope="module")
def obpctl_binary():
    return sandbox.env_path("OBPCTL_BIN")


BASH_DRIVER = r"""
set -u
source <("$OBPCTL" completion bash) || exit 9
complete -p obpctl >/dev/null || exit 8
# complete LINE: what bash offers with the cursor at the end of LINE, one per line.
complete_line() {
  COMP_LINE=$1
  COMP_POINT=${#COMP_LINE}
  read -ra COMP_WORDS <<< "$COMP_LINE"
  [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _obpctl obpctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]:-}"
  echo "$1|${COMPREPLY[*]}"
}
"""


def drive_bash(binary, lines, cwd=None):
    script = BASH_DRIVER + "".join(f"complete_line {shlex_quote(line)}\n" for line in lines)
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=cwd,
                       env={**env_without_fleet(), "OBPCTL": binary})
    assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stdout, r.stderr)
    out = {}
    for ln in r.stdout.splitlines():
        line, _, offered = ln.rpartition("|")
        out[line] = offered.split()
    return out


def shlex_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def test_completion_bash_sources_and_completes(obpctl_binary, tmp_path):
    (tmp_path / "fleet-a.toml").write_text("")
    (tmp_path / "fleet-b.toml").write_text("")
    got = drive_bash(obpctl_binary, [
        "obpctl ",
        "obpctl se",
        "obpctl sessions ",
        "obpctl sessions list --us",
        "obpctl sessions list --ti",                     # a global flag after the command
        "obpctl --node 127.0.0.1:2884 sessions l",       # HOST:PORT is one word
        "obpctl sessions list -o ",
        "obpctl nodes --output=j",
        "obpctl completion ",
        "obpctl kill --cs-id 262145 --dry",
        "obpctl --fleet fleet-",
        "obpctl version --timeout ",
        "obpctl sessions history --reason kil",
        "obpctl sessions history --reason login_",
        "obpctl sessions list --sort ",
        "obpctl sessions list --run",
        "obpctl kill --statement 'SELECT SLEEP%' --qu",
    ], cwd=tmp_path)
    assert got["obpctl "] == ["nodes", "sessions", "kill", "version", "completion"]
    assert got["obpctl se"] == ["sessions"]
    assert got["obpctl sessions "] == ["list", "show", "history"]
    assert got["obpctl sessions list --us"] == ["--user"]
    assert got["obpctl sessions list --ti"] == ["--timeout"]
    assert got["obpctl --node 127.0.0.1:2884 sessions l"] == ["list"]
    assert got["obpctl sessions list -o "] == ["table", "wide", "json"]
    assert got["obpctl nodes --output=j"] == ["json"]
    assert got["obpctl completion "] == ["bash", "zsh"]
    assert got["obpctl kill --cs-id 262145 --dry"] == ["--dry-run"]
    assert sorted(got["obpctl --fleet fleet-"]) == ["fleet-a.toml", "fleet-b.toml"]
    assert got["obpctl version --timeout "] == []
    assert got["obpctl sessions history --reason kil"] == ["killed"]
    assert got["obpctl sessions history --reason login_"] == ["login_timeout", "login_failed"]
    assert got["obpctl sessions list --sort "] == ["id", "time", "idle"]
    assert got["obpctl sessions list --run"] == ["--running-over"]
    assert got["obpctl kill --statement 'SELECT SLEEP%' --qu"] == ["--query"]


ZSH_DRIVER = r"""
# Stand-ins for zsh's completion builtins: print what would be offered.
compdef() { print -r -- "compdef $*" >&2 }
_describe() { local e; for e in ${(P)${@[-1]}}; do print -r -- ${e%%:*}; done }
compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2} }
_files() { print -r -- '<files>' }
_message() { print -r -- '<message>' }
compset() { [[ $1 == -P ]] && words[CURRENT]=${words[CURRENT]#*=} }
source <("$OBPCTL" completion zsh) || exit 9
complete_words() {
  words=("$@"); CURRENT=$#
  print -rn -- "${(j: :)@}|"; _obpctl | tr '\n' ' '; print
}
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_completion_zsh_sources_and_completes(obpctl_binary):
    cases = {
        ("obpctl", ""): {"nodes", "sessions", "kill", "version", "completion"},
        ("obpctl", "sessions", ""): {"list", "show", "history"},
        ("obpctl", "--node", "127.0.0.1:2884", "sessions", ""): {"list", "show", "history"},
        ("obpctl", "sessions", "history", "--reason", ""): {
            "client_quit", "client_gone", "killed", "backend_lost", "idle_timeout",
            "login_timeout", "login_failed", "drain", "error"},
        ("obpctl", "sessions", "list", "-o", ""): {"table", "wide", "json"},
        ("obpctl", "completion", ""): {"bash", "zsh"},
        ("obpctl", "--fleet", ""): {"<files>"},
        ("obpctl", "kill", "--timeout", ""): {"<message>"},
    }
    script = ZSH_DRIVER + "".join(
        "complete_words " + " ".join(shlex_quote(w) for w in words) + "\n" for words in cases)
    r = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL,
                       env={**env_without_fleet(), "OBPCTL": obpctl_binary})
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stderr == "compdef _obpctl obpctl\n", r.stderr
    got = {}
    for ln in r.stdout.splitlines():
        words, _, offered = ln.partition("|")
        got[words.rstrip()] = set(offered.split())
    for words, expected in cases.items():
        assert got[" ".join(words).rstrip()] == expected, (words, got)
    # Flags after a subcommand include the global ones.
    r2 = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER + "complete_words obpctl version -\n"],
                        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                        env={**env_without_fleet(), "OBPCTL": obpctl_binary})
    offered = set(r2.stdout.partition("|")[2].split())
    assert {"--client", "--output", "--fleet", "--timeout", "--node"} <= offered, r2.stdout


def test_every_command_help_has_examples(obpctl_binary):
    for path in ([], ["nodes"], ["sessions"], ["sessions", "list"], ["sessions", "show"],
                 ["sessions", "history"], ["kill"], ["version"], ["completion"]):
        r = subprocess.run([obpctl_binary, *path, "--help"], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL, env=env_without_fleet())
        assert r.returncode == 0, (path, r.stderr)
        assert re.search(r"^Examples:\n  (obpctl|source) ", r.stdout, re.M), (path, r.stdout)
