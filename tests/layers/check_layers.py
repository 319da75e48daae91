#!/usr/bin/env python3
"""Fails when a file includes a header of a layer it may not depend on.

proxyd's layers (proxyd/CMakeLists.txt) depend only downward; CMake links them that
way, and this check makes an upward #include fail the test suite even where the
linker would not notice (a header-only use). Usage: check_layers.py [REPO_ROOT]
"""
import pathlib
import re
import sys

# Folder -> the folders it may include from (besides itself). Third-party headers
# (<...> and "absl/...", generated protos) are not checked.
BASE = ["common/core"]
ALLOWED = {
    "common/core": [],
    "common/fleet_client": BASE + ["protos"],
    "proxyd/mysql": BASE,
    "proxyd/sql": BASE,
    "proxyd/config": BASE,
    "proxyd/metrics": BASE,
    "proxyd/net": BASE + ["proxyd/mysql"],
    "proxyd/session": BASE + ["proxyd/mysql", "proxyd/sql", "proxyd/config", "proxyd/metrics",
                               "proxyd/net"],
    "proxyd/control": BASE + ["common/fleet_client", "protos", "proxyd/mysql", "proxyd/sql",
                              "proxyd/config", "proxyd/metrics", "proxyd/net", "proxyd/session"],
    "proxyd/admin": BASE + ["proxyd/mysql", "proxyd/sql", "proxyd/config", "proxyd/metrics",
                            "proxyd/net", "proxyd/session", "proxyd/control"],
    "proxyd/rpc": BASE + ["common/fleet_client", "protos", "proxyd/mysql", "proxyd/sql",
                          "proxyd/config", "proxyd/metrics", "proxyd/net", "proxyd/session",
                          "proxyd/control"],
    "proxyd": None,  # the node: server.cc and main.cc wire every layer together
    "obpctl": BASE + ["common/fleet_client", "protos"],
}
OURS = ("common/", "proxyd/", "obpctl/", "protos/", "obproxy/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(header: str) -> str:
    if header.startswith("obproxy/"):  # generated from protos/
        return "protos"
    return str(pathlib.PurePosixPath(header).parent)


def check(root: pathlib.Path) -> list[str]:
    problems = []
    for layer, allowed in ALLOWED.items():
        if allowed is None:
            continue
        for path in sorted((root / layer).glob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            for header in INCLUDE.findall(path.read_text()):
                if not header.startswith(OURS):
                    continue
                dep = folder_of(header)
                if dep != layer and dep not in allowed:
                    rel = path.relative_to(root)
                    problems.append(f"{rel}: includes {header} ({dep} is not below {layer})")
    return problems


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    missing = [layer for layer in ALLOWED if not (root / layer).is_dir()]
    if missing:
        print(f"check_layers: no such folder(s): {', '.join(missing)}", file=sys.stderr)
        return 1
    problems = check(root)
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} upward include(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
