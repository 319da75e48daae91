"""MariaDB's mysql-test cases through proxyd: what passes directly must pass through it.

The lists are in mtr_cases.txt (text protocol) and mtr_ps_cases.txt (run with mariadb-test's
--ps-protocol and --cursor-protocol); mtr.py says how a case is run and what EXCLUDED holds.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtr  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LISTS = {"text": ("mtr_cases.txt", 250), "ps": ("mtr_ps_cases.txt", 40),
         "cursor": ("mtr_ps_cases.txt", 40)}


def check(protocol: str) -> None:
    name, at_least = LISTS[protocol]
    cases = mtr.read_cases(os.path.join(HERE, name))
    results = mtr.run(cases, mtr.sandbox.env_path("PROXYD_BIN"), protocol)
    broken, lines = mtr.compare(results)
    print("\n".join(lines))
    direct = results["direct"]
    passed = [c for c, o in direct.items() if o.status == "pass"]
    # The list is of cases that pass directly here: one that stops doing so (a new
    # MariaDB, a changed environment) must be looked at, not silently counted out.
    not_direct = {c: o for c, o in direct.items() if o.status != "pass"}
    report = "".join(f"\n==== {c} through proxyd ====\n{results['proxyd'][c].detail}"
                     for c in broken)
    assert not broken, f"{len(broken)} cases pass directly and fail through proxyd:{report}"
    assert not not_direct, "cases of the list that no longer pass directly:" + "".join(
        f"\n==== {c}: {o.status}\n{o.detail}" for c, o in not_direct.items())
    stale = [c for c in cases if c in mtr.EXCLUDED and results["proxyd"][c].status == "pass"]
    assert not stale, f"excluded but passing through proxyd now (drop from EXCLUDED): {stale}"
    assert len(passed) >= at_least, (len(passed), at_least)


@pytest.mark.parametrize("protocol", ["text", "ps", "cursor"], ids=lambda p: f"protocol_{p}")
def test_mtr(protocol):
    check(protocol)
