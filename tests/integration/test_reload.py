"""SPEC §8 Reload: SIGHUP re-reads the configuration (users, tenants and backends, tokens,
the fleet file, TLS certificates, log level, timeouts) while running sessions carry on;
keys that cannot change at run time are reported and keep their value; a bad file
changes nothing and the log says file, line and key. `proxyd --check-config FILE`
checks a file the same way and exits non-zero with the start's message."""

import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile

import pymysql
import pytest

from conftest import PASSWORDS, default_users, pconnect, proxyd_bin, query, sandbox
from pki import throwaway_pki

RELOAD_WAIT_S = 10


def sys_users():
    """The shared fixture's users of tenant sys (app, alice, bob, admin); carol is not one."""
    return [u for u in default_users() if u["tenant"] == "sys"]


def tenants_of(*backends):
    """{"sys": [("primary", ADDRESS-or-MariaDB), ...]} with every backend named as given."""
    return {"sys": list(backends)}


def rewrite(node, tenants, users=None, extra=None, fleet_file=None):
    """Writes the node's config file again (same ports unless `extra` says otherwise)."""
    node._write_config(tenants, sys_users() if users is None else users, "sys",
                       extra or {}, fleet_file)


def reload(node, want="reload ok"):
    """Sends SIGHUP and waits for the reload's log line; returns that line."""
    before = node.log().count("reload ")
    node.proc.send_signal(signal.SIGHUP)
    assert sandbox.wait_until(lambda: node.log().count("reload ") > before,
                              timeout=RELOAD_WAIT_S), node.log()[-3000:]
    assert node.proc.poll() is None, node.log()[-3000:]
    line = [ln for ln in node.log().splitlines() if "reload " in ln][-1]
    assert want in line, line
    return line


def port_of(conn):
    return query(conn, "SELECT @@port")[0][0]


def pool_idle(conn, backend="primary"):
    """SHOW PROXYSESSION ATTRIBUTE's pool_idle row of `backend`."""
    rows = [r[1] for r in query(conn, "SHOW PROXYSESSION ATTRIBUTE")
            if r[0] == "pool_idle" and r[2] == f"pool [{backend}]"]
    assert len(rows) == 1, rows
    return int(rows[0])


def refused(node, user):
    with pytest.raises(pymysql.err.OperationalError) as e:
        pconnect(node, user)
    return e.value.args[0]


def test_sighup_adds_a_user_and_moves_a_backend_while_an_old_session_keeps_working(
        proxy_factory, primary, replica1):
    users = sys_users()
    # One io thread: one pool, so the pooled connection below is the one a login would get.
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=users,
                               extra={"threads": 1})
    assert refused(node, "carol") == 1045
    old = pconnect(node, "app", database="testdb")
    query(old, "CREATE TABLE IF NOT EXISTS reload_t (id INT PRIMARY KEY)")
    query(old, "BEGIN")
    query(old, "INSERT INTO reload_t VALUES (1)")
    assert port_of(old) == primary.port

    # "primary" now lives at replica1's address; carol is a new user.
    rewrite(node, tenants_of(("primary", replica1.address)),
            users + [{"tenant": "sys", "name": "carol", "password": PASSWORDS["carol"]}],
            extra={"threads": 1})
    line = reload(node)
    assert "users 4->5" in line and "tenants changed" in line, line

    new = pconnect(node, "carol")
    assert port_of(new) == replica1.port
    # The old session keeps its backend (and its transaction) until it ends.
    query(old, "INSERT INTO reload_t VALUES (2)")
    assert port_of(old) == primary.port
    query(old, "COMMIT")
    assert primary.sql("SELECT COUNT(*) FROM testdb.reload_t") == [(2,)]
    old.close()
    # Its connection, pooled under the old address, is not handed to a new session.
    again = pconnect(node, "app", database="testdb")
    assert port_of(again) == replica1.port
    for c in (new, again):
        c.close()


def test_a_pooled_connection_of_an_unchanged_backend_serves_sessions_after_a_reload(
        proxy_factory, primary):
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=sys_users(),
                               extra={"threads": 1})
    watcher = pconnect(node, "admin")
    first = pconnect(node, "app", database="testdb")
    backend_id = query(first, "SELECT CONNECTION_ID()")[0][0]
    first.close()
    assert sandbox.wait_until(lambda: pool_idle(watcher) == 1, timeout=10)
    rewrite(node, tenants_of(("primary", primary)), extra={"threads": 1, "wait_timeout_s": 600})
    assert "wait_timeout_s 0->600" in reload(node)
    # Pool figures follow the backend across generations, and so does the connection.
    assert pool_idle(watcher) == 1
    second = pconnect(node, "app", database="testdb")
    assert query(second, "SELECT CONNECTION_ID()")[0][0] == backend_id
    assert pool_idle(watcher) == 0
    for c in (second, watcher):
        c.close()


def test_a_reload_with_a_syntax_error_changes_nothing_and_says_file_line_key(
        proxy_factory, primary):
    users = sys_users()
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=users)
    conn = pconnect(node, "app")
    good = open(node.config_path).read()

    # A TOML syntax error: an unterminated string.
    bad = good + '\n[[user]]\ntenant = "sys"\nname = "carol\npassword = "carol_pw"\n'
    bad_line = good.count("\n") + 4
    with open(node.config_path, "w") as f:
        f.write(bad)
    line = reload(node, want="reload failed")
    assert node.config_path in line and re.search(rf":{bad_line}(:|\b)", line), line
    assert "keeping the running configuration" in line, line

    # A bad value: file, line and key.
    bad = good.replace("[[tenant]]", 'wait_timeout_s = "soon"\n\n[[tenant]]', 1)
    bad_line = bad.splitlines().index('wait_timeout_s = "soon"') + 1
    bad = bad + '\n[[user]]\ntenant = "sys"\nname = "carol"\npassword = "carol_pw"\n'
    with open(node.config_path, "w") as f:
        f.write(bad)
    line = reload(node, want="reload failed")
    assert f"{node.config_path}:{bad_line}:" in line and "wait_timeout_s" in line, line

    # Nothing changed: the node serves with the old users; carol is still unknown.
    assert query(conn, "SELECT 1") == ((1,),)
    other = pconnect(node, "bob")
    assert query(other, "SELECT 2") == ((2,),)
    assert refused(node, "carol") == 1045
    for c in (conn, other):
        c.close()


def check_config(path, *args):
    return subprocess.run([proxyd_bin(), "--check-config", str(path), *args],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)


def test_check_config_accepts_a_good_file_and_refuses_a_bad_one_as_a_start_would(
        proxy_factory, primary, tmp_path):
    node = sandbox.Proxyd(proxyd_bin(), tenants_of(("primary", primary)), sys_users())
    try:
        ok = check_config(node.config_path)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "OK" in ok.stdout, ok.stdout
        # It binds nothing: the port stays free.
        assert not sandbox.port_open(node.port)

        bad = tmp_path / "bad.toml"
        text = open(node.config_path).read().replace("[[tenant]]", "lsiten = 1\n[[tenant]]", 1)
        bad.write_text(text)
        checked = check_config(bad)
        started = subprocess.run([proxyd_bin(), "--config", str(bad)], capture_output=True,
                                 text=True, timeout=20, stdin=subprocess.DEVNULL)
        assert checked.returncode != 0 and started.returncode != 0
        msg = checked.stderr.strip()
        assert msg and msg == started.stderr.strip(), (checked.stderr, started.stderr)
        assert str(bad) in msg and "lsiten" in msg, msg
        line = text.splitlines().index("lsiten = 1") + 1
        assert f":{line}:" in msg, msg

        # Files the config names are checked too, as at start: a missing tokens file.
        missing = tmp_path / "missing-tokens.toml"
        text = open(node.config_path).read().replace(
            "[[tenant]]", f'tokens_file = "{missing}"\n[[tenant]]', 1)
        bad.write_text(text)
        checked = check_config(bad)
        assert checked.returncode != 0 and "missing-tokens.toml" in checked.stderr, checked
        # Flags apply as at start: a bad flag value is refused.
        checked = check_config(node.config_path, "--node-id", "0")
        assert checked.returncode != 0 and "--node-id" in checked.stderr, checked
    finally:
        node.cleanup()


def test_keys_that_cannot_change_are_reported_and_keep_their_value(proxy_factory, primary):
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=sys_users(),
                               extra={"threads": 2})
    conn = pconnect(node, "app")
    cs_id = conn.thread_id()
    sql_port, grpc_port = node.port, node.grpc_port
    node.port, node.grpc_port = sandbox.free_port(), sandbox.free_port()
    try:
        node.node_id = 5
        rewrite(node, tenants_of(("primary", primary)),
                extra={"threads": 4, "wait_timeout_s": 3600})
    finally:
        node.port, node.grpc_port, node.node_id = sql_port, grpc_port, 1
    line = reload(node)
    for key in ("node_id (1 -> 5)", "listen", "grpc_listen", "threads (2 -> 4)"):
        assert key in line, line
    assert "keep their running value" in line and "wait_timeout_s 0->3600" in line, line
    # Still on the old ports, with the old node id in new cs_ids.
    new = pconnect(node, "app")
    assert (new.thread_id() >> 18) & 0x1FFF == 1 and (cs_id >> 18) & 0x1FFF == 1
    assert query(conn, "SELECT 1") == ((1,),)
    assert sandbox.port_open(grpc_port)
    for c in (conn, new):
        c.close()


def test_log_level_change_takes_effect(proxy_factory, primary):
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=sys_users(),
                               extra={"log_level": "info"})
    assert refused(node, "nobody") == 1045
    assert "session ends" not in node.log()
    rewrite(node, tenants_of(("primary", primary)), extra={"log_level": "debug"})
    assert "log_level info->debug" in reload(node)
    assert refused(node, "nobody") == 1045
    assert sandbox.wait_until(lambda: "session ends" in node.log(), timeout=5), node.log()[-2000:]


def obpctl(node, token, *args):
    return subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node",
                           f"127.0.0.1:{node.grpc_port}", "--token", token, *args],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_a_token_added_to_the_tokens_file_works_after_a_reload(proxy_factory, primary, tmp_path):
    tokens = tmp_path / "tokens.toml"
    first, second = "first-" + "a" * 24, "second-" + "b" * 24
    tokens.write_text(f'[[token]]\nname = "ops-a"\nrole = "operator"\ntoken = "{first}"\n')
    node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=sys_users(),
                               extra={"tokens_file": str(tokens)})
    assert obpctl(node, first, "sessions", "list").returncode == 0
    before = obpctl(node, second, "sessions", "list")
    assert before.returncode != 0 and "token" in before.stderr.lower(), before

    tokens.write_text(tokens.read_text() +
                      f'\n[[token]]\nname = "ops-b"\nrole = "viewer"\ntoken = "{second}"\n')
    assert "tokens 1->2" in reload(node)
    after = obpctl(node, second, "sessions", "list")
    assert after.returncode == 0, after.stdout + after.stderr


def fleet_text(*nodes):
    return "".join(f'[[node]]\nid = {n.node_id}\ngrpc = "127.0.0.1:{n.grpc_port}"\n'
                   f'sql = "127.0.0.1:{n.port}"\n\n' for n in nodes)


def test_new_fleet_peers_are_used_by_the_next_forwarded_kill(proxy_factory, primary, tmp_path):
    fleet = tmp_path / "fleet.toml"
    one = sandbox.Proxyd(proxyd_bin(), tenants_of(("primary", primary)), sys_users(),
                         node_id=1, fleet_file=str(fleet))
    two = sandbox.Proxyd(proxyd_bin(), tenants_of(("primary", primary)), sys_users(),
                         node_id=2, fleet_file=str(fleet))
    proxy_factory.nodes += [one, two]
    fleet.write_text(fleet_text(one))  # node 1 knows no peer yet
    one.start()
    fleet.write_text(fleet_text(one, two))
    two.start()

    admin = pconnect(one, "admin")
    victim = pconnect(two, "app")
    with pytest.raises(pymysql.err.OperationalError) as e:
        query(admin, f"KILL {victim.thread_id()}")
    assert e.value.args[0] == 1094, e.value.args
    assert query(victim, "SELECT 1") == ((1,),)

    assert "peers 0->1" in reload(one)
    query(admin, f"KILL {victim.thread_id()}")
    with pytest.raises(pymysql.err.OperationalError):
        query(victim, "SELECT 1")
    admin.close()


def peer_cert(node, pki):
    """The DER certificate proxyd shows on a new TLS login, and the connection."""
    conn = pconnect(node, "app", ssl_ca=pki.ca, ssl_verify_cert=True)
    return conn._sock.getpeercert(binary_form=True), conn


def test_reloaded_sql_tls_certificate_is_shown_to_new_handshakes(proxy_factory, primary):
    with throwaway_pki("obp-reloadpki-") as pki:
        live = tempfile.mkdtemp(prefix="obp-reload-tls-")
        try:
            cert, key = os.path.join(live, "cert.pem"), os.path.join(live, "key.pem")
            shutil.copy(pki.server_crt, cert)
            shutil.copy(pki.server_key, key)
            node = proxy_factory.start(tenants=tenants_of(("primary", primary)), users=sys_users(),
                                       extra={"sql_tls": {"cert_file": cert, "key_file": key}})
            before, old_conn = peer_cert(node, pki)
            assert before == ssl.PEM_cert_to_DER_cert(open(pki.server_crt).read())

            other_crt, other_key = pki.extra_server("renewed", "IP:127.0.0.1")
            shutil.copy(other_crt, cert)
            shutil.copy(other_key, key)
            assert "sql_tls certificate reloaded" in reload(node)
            after, new_conn = peer_cert(node, pki)
            assert after == ssl.PEM_cert_to_DER_cert(open(other_crt).read()) and after != before
            # The session that shook hands before the reload carries on.
            assert query(old_conn, "SELECT 1") == ((1,),)

            # Files that do not fit together: the reload is refused, the new certificate stays.
            shutil.copy(pki.server_key, key)
            line = reload(node, want="reload failed")
            assert "sql_tls" in line, line
            still, third_conn = peer_cert(node, pki)
            assert still == after
            for c in (old_conn, new_conn, third_conn):
                c.close()
        finally:
            shutil.rmtree(live, ignore_errors=True)
