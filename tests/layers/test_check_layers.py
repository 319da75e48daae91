"""The layer check passes on this tree and fails on a planted upward include."""
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import check_layers  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_tree_has_no_upward_include():
    assert check_layers.check(ROOT) == []


def test_upward_include_is_reported(tmp_path):
    for layer in check_layers.ALLOWED:
        (tmp_path / layer).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "proxyd/session/session_handle.h", tmp_path / "proxyd/session/")
    (tmp_path / "proxyd/session/bad.cc").write_text(
        '#include "proxyd/session/session_handle.h"\n#include "proxyd/control/registry.h"\n')
    (tmp_path / "proxyd/admin/bad.cc").write_text('#include "proxyd/rpc/session_service.h"\n')
    problems = check_layers.check(tmp_path)
    assert len(problems) == 2, problems
    assert any("proxyd/session/bad.cc: includes proxyd/control/registry.h" in p for p in problems)
    assert any("proxyd/admin/bad.cc: includes proxyd/rpc/session_service.h" in p for p in problems)
