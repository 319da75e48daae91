"""MariaDB's mysql-test cases through proxyd: what passes directly must pass through it.

The lists are in mtr_cases.txt (text protocol), mtr_ps_cases.txt (run with mariadb-test's
--ps-protocol and --cursor-protocol) and mtr_nopool_cases.txt (cases that count the backend's
sessions, through a proxyd with pooling off); mtr.py says how a case is run and what
EXCLUDED holds.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtr  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# protocol -> (list, at least this many pass, proxyd config keys)
LISTS = {"text": ("mtr_cases.txt", 250, None), "ps": ("mtr_ps_cases.txt", 40, None),
         "cursor": ("mtr_ps_cases.txt", 40, None),
         "nopool": ("mtr_nopool_cases.txt", 10, {"pool_max_idle_per_backend": 0})}


def check(protocol: str) -> None:
    name, at_least, proxyd_extra = LISTS[protocol]
    cases = mtr.read_cases(os.path.join(HERE, name))
    listed_and_excluded = [c for c in cases if c in mtr.EXCLUDED]
    assert not listed_and_excluded, listed_and_excluded
    results = mtr.run(cases, mtr.sandbox.env_path("PROXYD_BIN"),
                      "text" if protocol == "nopool" else protocol, proxyd_extra=proxyd_extra)
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
    assert len(passed) >= at_least, (len(passed), at_least)


@pytest.mark.parametrize("protocol", ["text", "ps", "cursor", "nopool"],
                         ids=lambda p: f"protocol_{p}")
def test_mtr(protocol):
    check(protocol)
