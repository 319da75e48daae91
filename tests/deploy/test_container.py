"""deploy/container/Containerfile, read as text: no container runtime is installed here, so
the image is not built. Checked: two stages (debian:12 build, runtime), the build stage's
packages are ones scripts/install-deps.sh installs, the runtime stage installs the Debian
package of every shared library the built proxyd and obpctl load (ldd + dpkg -S on this
Debian 12 machine), copies both binaries from the build stage, and runs as uid 10001.
"""

import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTAINERFILE = os.path.join(ROOT, "deploy", "container", "Containerfile")


def instructions():
    """(stage index, INSTRUCTION, argument text) with continuations joined, comments dropped."""
    out, stage, buf = [], -1, ""
    with open(CONTAINERFILE) as f:
        for line in f:
            s = line.strip()
            if not buf and (not s or s.startswith("#")):
                continue
            if s.startswith("#"):
                continue
            buf += " " + s[:-1] if s.endswith("\\") else " " + s
            if s.endswith("\\"):
                continue
            word, _, rest = buf.strip().partition(" ")
            word = word.upper()
            if word == "FROM":
                stage += 1
            out.append((stage, word, rest.strip()))
            buf = ""
    assert not buf, "dangling continuation"
    return out


def apt_packages(stage):
    pkgs = set()
    for st, word, rest in instructions():
        if st == stage and word == "RUN":
            for m in re.finditer(r"apt-get install ((?:[^&]|&(?!&))*)", rest):
                pkgs |= {w for w in m.group(1).split() if not w.startswith("-") and "=" not in w}
    return pkgs


def install_deps_packages():
    with open(os.path.join(ROOT, "scripts", "install-deps.sh")) as f:
        text = f.read()
    return set(re.search(r"PACKAGES=\((.*?)\)", text, re.S).group(1).split())


def test_two_stages():
    froms = [rest for _, word, rest in instructions() if word == "FROM"]
    assert froms == ["debian:12 AS build", "debian:12-slim AS runtime"], froms


def test_build_stage_uses_the_project_packages():
    pkgs = apt_packages(0)
    assert {"cmake", "ninja-build", "g++", "libgrpc++-dev", "libtomlplusplus-dev"} <= pkgs
    assert pkgs <= install_deps_packages(), pkgs - install_deps_packages()
    runs = " ".join(rest for st, word, rest in instructions() if st == 0 and word == "RUN")
    assert "-DOBP_BUILD_TESTS=OFF" in runs and "ninja -C /build proxyd obpctl" in runs


def test_runtime_stage_is_small_and_non_root():
    ins = [(w, r) for st, w, r in instructions() if st == 1]
    copies = [r for w, r in ins if w == "COPY"]
    assert copies == ["--from=build /build/proxyd/proxyd /build/obpctl/obpctl /usr/local/bin/"]
    users = [r for w, r in ins if w == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    assert [w for w, _ in ins].index("USER") > [w for w, _ in ins].index("COPY")
    assert not any(p.endswith("-dev") for p in apt_packages(1)), apt_packages(1)
    assert "useradd --system --uid 10001" in " ".join(r for w, r in ins if w == "RUN")
    (entry,) = [r for w, r in ins if w == "ENTRYPOINT"]
    assert entry == '["/usr/local/bin/proxyd"]'


@pytest.mark.parametrize("var", ["PROXYD_BIN", "OBPCTL_BIN"])
def test_runtime_stage_has_every_shared_library(var):
    binary = os.environ.get(var)
    assert binary and os.path.isfile(binary), f"set {var} to the built binary"
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60, check=True)
    libs = re.findall(r"=> (/\S+)", ldd.stdout)
    assert libs, ldd.stdout
    # One dpkg -S for all: /lib is a symlink to /usr/lib on Debian 12, so ask for both spellings.
    paths = {os.path.realpath(lib) for lib in libs}
    both = paths | {p.replace("/usr/lib/", "/lib/", 1) for p in paths if p.startswith("/usr/lib/")}
    r = subprocess.run(["dpkg", "-S", *sorted(both)], capture_output=True, text=True, timeout=120)
    owner = {}
    for line in r.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        owner[path.replace("/lib/", "/usr/lib/", 1) if path.startswith("/lib/") else path] = pkg.split(":")[0]
    unowned = sorted(p for p in paths if p not in owner)
    assert not unowned, unowned
    need = set(owner[p] for p in paths)
    # Present in every Debian image: libc6, libstdc++6, libgcc-s1 (OpenSSL's libcrypto is in
    # libssl3). The sanitizer runtimes come only with the ASan/TSan builds test.sh also tests.
    base = {"libc6", "libstdc++6", "libgcc-s1", "libasan8", "libubsan1", "libtsan2"}
    missing = need - base - apt_packages(1)
    assert not missing, f"{os.path.basename(binary)} loads libraries of {sorted(missing)}, not installed in the runtime stage"
