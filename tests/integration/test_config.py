"""SPEC §7 config and process lifecycle: bad configs are refused with file, line and key;
flags override keys; SIGTERM closes sessions and exits 0."""

import re
import signal
import subprocess
import time

import pymysql
import pytest

from conftest import pconnect, proxyd_bin, query
import sandbox


def config_text(primary_addr, node_id="1", user_tenant='"sys"', extra_top="", extra_user=""):
    # Line numbers matter: the tests below look for them in the error message.
    return (f'node_id = {node_id}\n'                                   # 1
            'cluster = "test"\n'                                       # 2
            'default_tenant = "sys"\n'                                 # 3
            f'listen = "127.0.0.1:{sandbox.free_port()}"\n'            # 4
            f'grpc_listen = "127.0.0.1:{sandbox.free_port()}"\n'       # 5
            f'{extra_top}\n'                                           # 6
            '[[tenant]]\n'                                             # 7
            'name = "sys"\n'                                           # 8
            f'backends = [ {{ name = "primary", address = "{primary_addr}" }} ]\n'  # 9
            '\n'                                                       # 10
            '[[user]]\n'                                               # 11
            f'tenant = {user_tenant}\n'                                # 12
            'name = "app"\n'                                           # 13
            'password = "app_pw"\n'                                    # 14
            f'{extra_user}\n')                                         # 15


def run_bad(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    res = subprocess.run([proxyd_bin(), "--config", str(path)], capture_output=True, text=True,
                         timeout=20, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert str(path) in out or "bad.toml" in out, out
    for marker in sandbox.SANITIZER_MARKERS:
        assert marker not in out, out
    return out


def has_line(out, n):
    return re.search(rf"(line\s*{n}\b|:{n}(:|\b))", out) is not None


@pytest.mark.parametrize("extra_top,extra_user,key,line", [
    ("node_idd = 2", "", "node_idd", 6),
    ("", 'pasword = "x"', "pasword", 15),
])
def test_unknown_key(tmp_path, primary, extra_top, extra_user, key, line):
    out = run_bad(tmp_path, config_text(primary.address, extra_top=extra_top,
                                        extra_user=extra_user))
    assert key in out and has_line(out, line), out


@pytest.mark.parametrize("node_id", ["0", "8192", "-1", '"one"'])
def test_bad_node_id(tmp_path, primary, node_id):
    out = run_bad(tmp_path, config_text(primary.address, node_id=node_id))
    assert "node_id" in out and has_line(out, 1), out


def test_user_in_missing_tenant(tmp_path, primary):
    out = run_bad(tmp_path, config_text(primary.address, user_tenant='"nope"'))
    assert "tenant" in out and "nope" in out and has_line(out, 12), out


def test_missing_file(tmp_path):
    res = subprocess.run([proxyd_bin(), "--config", str(tmp_path / "absent.toml")],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode != 0 and "absent.toml" in res.stdout + res.stderr


def test_toml_syntax_error(tmp_path, primary):
    text = config_text(primary.address).replace('name = "app"', 'name = "app')
    out = run_bad(tmp_path, text)
    assert has_line(out, 13), out


def test_flags_override_config(proxy_factory):
    p = proxy_factory.start()
    p.stop()
    p.port = sandbox.free_port()
    p.start(args=["--node-id", "9", "--listen", f"127.0.0.1:{p.port}"])
    conn = pconnect(p)
    assert (conn.thread_id() >> 18) & 0x1FFF == 9
    conn.close()


def test_sigterm_closes_sessions_and_exits_0(proxy_factory, primary):
    p = proxy_factory.start()
    idle = pconnect(p)
    query(idle, "SELECT 1")
    in_trx = pconnect(p, database="testdb")
    query(in_trx, "BEGIN")
    query(in_trx, "SELECT COUNT(*) FROM mysql.user")
    backend_ids = {query(c, "SELECT CONNECTION_ID()")[0][0] for c in (idle, in_trx)}
    t0 = time.monotonic()
    rc = p.stop(signal.SIGTERM, timeout=10)
    assert rc == 0, f"exit code {rc} after {time.monotonic() - t0:.1f}s\n{p.log()[-3000:]}"
    for c in (idle, in_trx):
        with pytest.raises(pymysql.err.OperationalError) as e:
            query(c, "SELECT 1")
        assert e.value.args[0] in (2006, 2013), e.value.args
    assert not sandbox.port_open(p.port)
    # Its server sessions were closed too.
    deadline = time.monotonic() + 5
    while backend_ids & {r["ID"] for r in primary.processlist()} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not backend_ids & {r["ID"] for r in primary.processlist()}
    p.assert_sanitizer_clean()


def test_sigterm_with_no_sessions(proxy_factory):
    p = proxy_factory.start()
    assert p.stop(signal.SIGTERM, timeout=10) == 0, p.log()[-3000:]
    p.assert_sanitizer_clean()
