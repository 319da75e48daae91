"""A pytest hook both test folders' conftest.py import: a failed test's report ends with
each MariaDB backend's state and the end of its error log (sandbox.servers_report)."""

import pytest

import sandbox


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.sections.append(("MariaDB backends", sandbox.servers_report()))
