"""node-mysql2 (from the npm registry, installed by scripts/install-deps.sh into
tests/drivers/node) through proxyd sees what it sees directly: JSON columns typed as JSON
(MariaDB's extended metadata), text sent after `SET character_set_client = koi8r` intact
(session tracking), and changeUser (COM_CHANGE_USER)."""

import os
import shutil
import subprocess
import sys

from conftest import PASSWORDS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

PROBE_DIR = os.path.join(os.path.dirname(__file__), "..", "drivers", "node")


def mysql2_probe(port):
    node = shutil.which("node") or "/usr/bin/node"
    res = subprocess.run([node, os.path.join(PROBE_DIR, "mysql2_probe.js"), "127.0.0.1",
                          str(port), "app", PASSWORDS["app"], "alice", PASSWORDS["alice"]],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.splitlines()


def test_mysql2_through_proxyd_is_as_direct(proxy, primary):
    direct = mysql2_probe(primary.port)
    assert direct == ['json object {"a":1}', "charset привет", "changeuser alice@%"], direct
    assert mysql2_probe(proxy.port) == direct
