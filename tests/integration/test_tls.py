"""SPEC §2 "TLS, sockets, change user": TLS on the SQL port ([sql_tls]) and toward backends
(per-backend `tls`), with a throwaway CA made here. What a user sees: `mariadb --ssl` and
pymysql connect and verify proxyd's certificate, using_ssl says so, require_tls users and
client-certificate policies are enforced, a kill closes a TLS session at once, and a backend
that only accepts TLS is reached and verified."""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time

import pymysql
import pytest
from pymysql import _auth
from pymysql.constants import CLIENT

from background import Background
from change_user import change_user
from conftest import PASSWORDS, default_users, pconnect, query, sandbox
from pki import throwaway_pki


@pytest.fixture(scope="module")
def pki():
    with throwaway_pki("obp-sqlpki-") as made:
        yield made


def tls_users():
    return default_users() + [{"tenant": "sys", "name": "carol", "password": PASSWORDS["carol"],
                               "require_tls": True}]


@pytest.fixture(scope="module")
def tls_proxy(proxy_factory, pki):
    """Offers TLS; checks a client certificate when one is shown, does not require one."""
    return proxy_factory.start(users=tls_users(), extra={"sql_tls": pki.server_tls()})


@pytest.fixture(scope="module")
def mtls_proxy(proxy_factory, pki):
    return proxy_factory.start(extra={"sql_tls": pki.server_tls(require_client_cert=True)})


def tconnect(proxy, pki, user="app", **kw):
    """pymysql over TLS, verifying proxyd's certificate against the test CA and its IP."""
    return pconnect(proxy, user, ssl_ca=pki.ca, ssl_verify_cert=True, ssl_verify_identity=True,
                    **kw)


def cipher(conn) -> str | None:
    sock = conn._sock  # pymysql keeps the SSLSocket here once TLS is on
    return sock.cipher()[0] if hasattr(sock, "cipher") else None


def own_row_of(conn, cs_id: int) -> dict:
    """The SHOW PROXYSESSION row of cs_id, as `conn` sees it."""
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW PROXYSESSION")
        return next(r for r in cur.fetchall() if int(r["Id"]) == cs_id)


def own_row(conn) -> dict:
    return own_row_of(conn, conn.thread_id())


def attributes(conn, cs_id: int) -> list[tuple]:
    return query(conn, f"SHOW PROXYSESSION ATTRIBUTE {cs_id}")


def test_mariadb_cli_verifies_proxyd_certificate_and_sees_tls(tls_proxy, pki):
    r = sandbox.mariadb_cli(tls_proxy.port, "app", PASSWORDS["app"], "status; SELECT 1",
                            "--ssl", f"--ssl-ca={pki.ca}", "--ssl-verify-server-cert")
    assert r.returncode == 0, r.stderr
    # The client's own account of the connection: a TLS cipher is in use.
    assert "Cipher in use is" in r.stdout, r.stdout


def test_mariadb_cli_refuses_a_proxyd_certificate_from_another_ca(tls_proxy, pki):
    r = sandbox.mariadb_cli(tls_proxy.port, "app", PASSWORDS["app"], "SELECT 1",
                            "--ssl", f"--ssl-ca={pki.rogue_ca}", "--ssl-verify-server-cert")
    assert r.returncode != 0
    assert "2026" in r.stderr or "certificate" in r.stderr.lower(), r.stderr


def test_using_ssl_is_1_for_a_tls_session_and_0_for_a_plain_one(tls_proxy, pki):
    with tconnect(tls_proxy, pki) as t, pconnect(tls_proxy) as plain:
        assert cipher(t)
        assert int(own_row(t)["using_ssl"]) == 1
        assert int(own_row(plain)["using_ssl"]) == 0
        attrs = {(name, info): value for name, value, info in attributes(plain, t.thread_id())}
        assert attrs[("using_ssl", "cs common")] == "1"
        attrs = {(name, info): value
                 for name, value, info in attributes(plain, plain.thread_id())}
        assert attrs[("using_ssl", "cs common")] == "0"


def test_obpctl_wide_listing_shows_using_ssl(tls_proxy, pki):
    with tconnect(tls_proxy, pki) as t, pconnect(tls_proxy) as plain:
        res = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node",
                              f"127.0.0.1:{tls_proxy.grpc_port}", "sessions", "list",
                              "-o", "wide"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        header = lines[0].split()
        col = header.index("SSL") if "SSL" in header else header.index("USING_SSL")
        id_col = header.index("CS_ID")
        by_id = {ln.split()[id_col]: ln.split()[col] for ln in lines[1:] if ln.strip()}
        assert by_id[str(t.thread_id())] in ("1", "yes", "true")
        assert by_id[str(plain.thread_id())] in ("0", "no", "false")


def test_queries_results_and_prepared_statements_travel_intact_over_tls(tls_proxy, pki, primary):
    with tconnect(tls_proxy, pki, database="testdb") as t:
        query(t, "CREATE TABLE IF NOT EXISTS tls_big (id INT PRIMARY KEY, v LONGTEXT)")
        query(t, "DELETE FROM tls_big")
        # Rows bigger than a TLS record (16 KiB) and a reply far bigger than a socket buffer.
        for i in range(40):
            query(t, "INSERT INTO tls_big VALUES (%s, REPEAT(CHAR(65 + %s MOD 26), 70000))",
                  (i, i))
        got = query(t, "SELECT id, v FROM tls_big ORDER BY id")
    with pconnect(tls_proxy, database="testdb") as plain:
        want = query(plain, "SELECT id, v FROM tls_big ORDER BY id")
    assert got == want and len(got) == 40 and len(got[39][1]) == 70000
    # Binary protocol over TLS, through libmariadb's prepared statements (the mariadb CLI
    # has none; PREPARE/EXECUTE by text is enough to cross the same legs).
    with tconnect(tls_proxy, pki, database="testdb") as t:
        query(t, "PREPARE s FROM 'SELECT LENGTH(v) FROM tls_big WHERE id = ?'")
        query(t, "SET @i = 7")
        assert query(t, "EXECUTE s USING @i") == ((70000,),)


def _read_packet(sock) -> tuple[int, bytes]:
    head = b""
    while len(head) < 4:
        head += sock.recv(4 - len(head))
    n, seq = int.from_bytes(head[:3], "little"), head[3]
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return seq, body


def test_a_client_hello_sent_with_the_ssl_request_in_one_write(tls_proxy, pki):
    """A client may send its SSLRequest and its ClientHello back to back; proxyd reads
    both at once and must hand the second to the TLS handshake, then log the client in."""
    sock = socket.create_connection(("127.0.0.1", tls_proxy.port), timeout=10)
    try:
        _, greeting = _read_packet(sock)
        ver_end = greeting.index(b"\0", 1)
        scramble = greeting[ver_end + 5:ver_end + 13] + greeting[ver_end + 32:ver_end + 44]
        ctx = ssl.create_default_context(cafile=pki.ca)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
        with pytest.raises(ssl.SSLWantReadError):
            tls.do_handshake()
        caps = (CLIENT.SSL | CLIENT.PROTOCOL_41 | CLIENT.SECURE_CONNECTION | CLIENT.PLUGIN_AUTH
                | CLIENT.LONG_PASSWORD)
        ssl_request = struct.pack("<IIB23x", caps, 1 << 24, 45)
        sock.sendall(len(ssl_request).to_bytes(3, "little") + b"\x01" + ssl_request
                     + outgoing.read())
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                assert data, "proxyd closed the connection during the handshake"
                incoming.write(data)
        sock.sendall(outgoing.read())
        token = _auth.scramble_native_password(PASSWORDS["app"].encode(), scramble)
        login = (struct.pack("<IIB23x", caps, 1 << 24, 45) + b"app\0" + bytes([len(token)])
                 + token + b"mysql_native_password\0")
        tls.write(len(login).to_bytes(3, "little") + b"\x02" + login)
        sock.sendall(outgoing.read())
        reply = b""
        while len(reply) < 5:
            try:
                reply += tls.read(65536)
            except ssl.SSLWantReadError:
                incoming.write(sock.recv(65536))
        assert reply[4] == 0x00, reply  # OK: logged in over TLS
    finally:
        sock.close()


def test_require_tls_user_is_refused_in_plaintext_and_let_in_over_tls(tls_proxy, pki):
    with pytest.raises(pymysql.err.OperationalError) as e:
        pconnect(tls_proxy, "carol")
    assert e.value.args[0] == 1045
    assert "Access denied for user 'carol'" in e.value.args[1]
    with tconnect(tls_proxy, pki, user="carol") as c:
        assert query(c, "SELECT CURRENT_USER()")[0][0].startswith("carol@")


def test_change_user_to_a_require_tls_user_needs_tls_too(tls_proxy, pki):
    with pconnect(tls_proxy) as c:
        with pytest.raises(pymysql.err.OperationalError) as e:
            change_user(c, "carol", PASSWORDS["carol"])
    assert e.value.args[0] == 1045
    with tconnect(tls_proxy, pki) as c:
        change_user(c, "carol", PASSWORDS["carol"])
        assert query(c, "SELECT CURRENT_USER()")[0][0].startswith("carol@")
        assert int(own_row(c)["using_ssl"]) == 1


def test_a_client_certificate_is_checked_when_shown(tls_proxy, pki):
    with tconnect(tls_proxy, pki, ssl_cert=pki.client_crt, ssl_key=pki.client_key) as c:
        assert query(c, "SELECT 1") == ((1,),)
    with pytest.raises(pymysql.err.OperationalError):
        tconnect(tls_proxy, pki, ssl_cert=pki.rogue_crt, ssl_key=pki.rogue_key)


def test_require_client_cert_refuses_a_client_without_one(mtls_proxy, pki):
    with pytest.raises(pymysql.err.OperationalError):
        tconnect(mtls_proxy, pki)
    with tconnect(mtls_proxy, pki, ssl_cert=pki.client_crt, ssl_key=pki.client_key) as c:
        assert int(own_row(c)["using_ssl"]) == 1
    # A plaintext login is not affected by the certificate policy (require_tls is per user).
    with pconnect(mtls_proxy) as c:
        assert query(c, "SELECT 1") == ((1,),)


def test_kill_closes_a_tls_session_at_once(tls_proxy, pki):
    victim = tconnect(tls_proxy, pki, read_timeout=60)
    running = Background(victim, "SELECT SLEEP(30)")
    try:
        with pconnect(tls_proxy, "admin") as admin:
            assert sandbox.wait_until(lambda: own_row_of(admin, victim.thread_id())["state"]
                                      == "MCS_ACTIVE_READER", 10)
            query(admin, f"KILL PROXYSESSION {victim.thread_id()}")
        assert running.join(10), "the TLS client was not released by the kill"
        assert running.error is not None and running.rows is None
    finally:
        running.join(35)
        victim.close()


@pytest.mark.parametrize("close_notify", [True, False], ids=["close_notify", "bare_close"])
def test_a_tls_client_that_hangs_up_mid_statement_ends_it_on_the_backend(tls_proxy, pki, primary,
                                                                        close_notify):
    """The hang-up watch under TLS: a client waiting in GET_LOCK leaves, with a TLS
    close_notify (bytes proxyd never reads: they must not hide the hang-up) or without;
    the wait ends on the backend and the session is gone."""
    name = f"tls_hangup_{int(close_notify)}"
    holder = pconnect(tls_proxy)
    assert query(holder, f"SELECT GET_LOCK('{name}', 0)") == ((1,),)
    waiter = tconnect(tls_proxy, pki)
    cs_id = waiter.thread_id()
    waiter.query("SELECT 1")
    sql = f"SELECT GET_LOCK('{name}', 3600)".encode()
    sock = waiter._sock
    sock.sendall(len(sql + b"x").to_bytes(3, "little") + b"\x00\x03" + sql)

    def waiting():
        return [p for p in primary.processlist()
                if p["STATE"] == "User lock" and name in (p["INFO"] or "")]
    assert sandbox.wait_until(waiting, 10), "the GET_LOCK wait never started"
    time.sleep(0.5)  # past the tick after which proxyd watches the client
    if close_notify:
        sock.settimeout(0.5)
        try:
            sock.unwrap()  # sends close_notify; proxyd, busy, never answers it
        except (OSError, ValueError):
            pass
        time.sleep(0.3)  # the close_notify alone first: it must not end the watch
    # pymysql's reader still holds the descriptor: shutdown sends the FIN close would not.
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    assert sandbox.wait_until(lambda: not waiting(), 3), waiting()
    assert sandbox.wait_until(
        lambda: all(int(r[0]) != cs_id for r in query(holder, "SHOW PROXYSESSION")), 3)
    assert query(holder, f"SELECT RELEASE_LOCK('{name}')") == ((1,),)
    holder.close()


def test_proxyd_without_sql_tls_says_so_to_a_tls_client(proxy, pki):
    # The greeting does not offer SSL, so a client that insists stops on its side.
    r = sandbox.mariadb_cli(proxy.port, "app", PASSWORDS["app"], "SELECT 1",
                            "--ssl", f"--ssl-ca={pki.ca}", "--ssl-verify-server-cert")
    assert r.returncode != 0
    assert "SSL" in r.stderr, r.stderr


def test_sysbench_with_mysql_ssl_on_through_proxyd(tls_proxy, pki):
    sysbench = shutil.which("sysbench")
    assert sysbench, "sysbench is installed by the test command"
    common = ["--mysql-host=127.0.0.1", f"--mysql-port={tls_proxy.port}", "--mysql-user=app",
              f"--mysql-password={PASSWORDS['app']}", "--mysql-db=testdb", "--tables=1",
              "--table-size=200", "--mysql-ssl=on", "--db-driver=mysql"]
    # sysbench 1.0 with --mysql-ssl=on loads these three files from its working directory.
    cwd = tempfile.mkdtemp(prefix="obp-sysbench-tls-")
    for src, name in ((pki.client_key, "client-key.pem"), (pki.client_crt, "client-cert.pem"),
                      (pki.ca, "cacert.pem")):
        shutil.copy(src, os.path.join(cwd, name))

    def sb(*args, timeout=120):
        return subprocess.run([sysbench, "oltp_point_select", *common, *args], cwd=cwd,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    try:
        sb("cleanup", timeout=60)
        prep = sb("prepare")
        assert prep.returncode == 0, prep.stderr + prep.stdout
        run = sb("--threads=4", "--time=2", "--events=2000", "run")
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    assert run.returncode == 0, run.stderr + run.stdout
    # "queries performed: read: N" with N > 0, and no error reported.
    reads = [ln for ln in run.stdout.splitlines() if ln.strip().startswith("read:")]
    assert reads and int(reads[0].split()[-1]) > 0, run.stdout
    assert "FATAL" not in run.stdout + run.stderr


@pytest.mark.parametrize("bad", ["mismatched_key", "missing_cert"])
def test_an_unusable_sql_tls_file_stops_proxyd_with_the_reason(backends, pki, bad):
    tls = pki.server_tls()
    if bad == "mismatched_key":
        tls["key_file"] = pki.client_key
        want = f"sql_tls: key_file {pki.client_key} does not match cert_file {pki.server_crt}"
    else:
        tls["cert_file"] = pki.server_crt + ".absent"
        want = f'sql_tls: certificate "{pki.server_crt}.absent"'
    p = sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"),
                       {"sys": [("primary", backends["primary"])]}, default_users()[:1],
                       extra={"sql_tls": tls})
    try:
        p.start(wait=False)
        rc = p.proc.wait(timeout=30)
        assert rc not in (0, None), p.log()
        assert want in p.log(), p.log()
    finally:
        p.cleanup()


# --- The backend leg: a MariaDB that accepts nothing but TLS ---------------------------

@pytest.fixture(scope="module")
def tls_backend(pki):
    db = sandbox.MariaDB("tlsdb", extra_args=[
        f"--ssl-cert={pki.server_crt}", f"--ssl-key={pki.server_key}", f"--ssl-ca={pki.ca}",
        "--require-secure-transport=ON"])
    try:
        db.start()
        for user in ("app", "admin"):
            db.create_user(user, PASSWORDS[user])
        db.sql("CREATE DATABASE testdb")
        yield db
    finally:
        db.stop()


def sys_users():
    return [u for u in default_users() if u["tenant"] == "sys"]


def backend_proxy(proxy_factory, db, **tls):
    return proxy_factory.start(tenants={"sys": [{"name": "secure", "address": db.address,
                                                 **tls}]}, users=sys_users())


def server_session_attrs(conn, cs_id: int) -> dict:
    return {name: value for name, value, info in attributes(conn, cs_id) if info == "curr used ss"}


@pytest.mark.parametrize("mode", ["verify_ca", "verify_identity"])
def test_a_tls_only_backend_is_reached_and_verified(proxy_factory, tls_backend, pki, mode):
    p = backend_proxy(proxy_factory, tls_backend, tls=mode, ca_file=pki.ca)
    # A login database travels in the capabilities of the SSLRequest too.
    with pconnect(p, database="testdb") as c:
        assert query(c, "SELECT DATABASE()") == (("testdb",),)
        # The backend's own account of the connection it serves.
        (name, version), = query(c, "SHOW SESSION STATUS LIKE 'Ssl_version'")
        assert version.startswith("TLSv1."), version
        assert server_session_attrs(c, c.thread_id())["using_ssl"] == "1"
        assert int(own_row(c)["using_ssl"]) == 0  # the client leg is plaintext
        # The gRPC service says the same (obpctl sessions show: SERVER SESSIONS, SSL).
        res = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node",
                              f"127.0.0.1:{p.grpc_port}", "sessions", "show", "--cs-id",
                              str(c.thread_id())], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr
        servers = res.stdout.split("\nSERVER SESSIONS\n", 1)[1].split("\nVARIABLES\n")[0]
        header, row = servers.splitlines()[:2]
        assert dict(zip(header.split(), row.split()))["SSL"] == "yes", servers


def test_required_mode_encrypts_without_checking_the_certificate(proxy_factory, tls_backend):
    p = backend_proxy(proxy_factory, tls_backend, tls="required")
    with pconnect(p) as c:
        assert query(c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0][1] != ""


def test_a_backend_certificate_from_another_ca_is_refused_with_the_reason(
        proxy_factory, tls_backend, pki):
    p = backend_proxy(proxy_factory, tls_backend, tls="verify_ca", ca_file=pki.rogue_ca)
    with pytest.raises(pymysql.err.OperationalError) as e:
        with pconnect(p) as c:
            query(c, "SELECT 1")
    assert "certificate verify failed" in e.value.args[1], e.value.args


def test_verify_identity_refuses_a_certificate_for_another_address(proxy_factory, pki):
    """A backend whose certificate (from the trusted CA) names 127.0.0.9 only: verify_ca
    takes it, verify_identity, reaching it as 127.0.0.1, does not."""
    crt, key = pki.extra_server("elsewhere", "IP:127.0.0.9")
    db = sandbox.MariaDB("tlsdb-elsewhere", extra_args=[
        f"--ssl-cert={crt}", f"--ssl-key={key}", "--require-secure-transport=ON"])
    try:
        db.start()
        db.create_user("app", PASSWORDS["app"])
        ok = backend_proxy(proxy_factory, db, tls="verify_ca", ca_file=pki.ca)
        with pconnect(ok) as c:
            assert query(c, "SELECT 1") == ((1,),)
        bad = backend_proxy(proxy_factory, db, tls="verify_identity", ca_file=pki.ca)
        with pytest.raises(pymysql.err.OperationalError) as e:
            with pconnect(bad) as c:
                query(c, "SELECT 1")
        assert "certificate verify failed" in e.value.args[1], e.value.args
    finally:
        db.stop()


def test_plaintext_to_a_tls_only_backend_gets_the_backends_refusal(proxy_factory, tls_backend):
    # MariaDB refuses an insecure login under require_secure_transport as "access denied";
    # the client is told which backend said so.
    p = backend_proxy(proxy_factory, tls_backend)
    with pytest.raises(pymysql.err.OperationalError) as e:
        with pconnect(p) as c:
            query(c, "SELECT 1")
    assert "Backend 'secure'" in e.value.args[1], e.value.args
    assert "1045 (28000) Access denied" in e.value.args[1], e.value.args


def test_kill_reaches_a_tls_only_backend(proxy_factory, tls_backend, pki):
    """The control connection that sends KILL to the backend uses TLS too: with
    require_secure_transport a plaintext one would be refused and the statement would run on."""
    p = backend_proxy(proxy_factory, tls_backend, tls="verify_ca", ca_file=pki.ca)
    victim = pconnect(p, read_timeout=60)
    running = Background(victim, "SELECT SLEEP(30)")
    try:
        assert sandbox.wait_until(lambda: any(r["INFO"] == "SELECT SLEEP(30)"
                                              for r in tls_backend.processlist()), 10)
        with pconnect(p, "admin") as admin:
            query(admin, f"KILL PROXYSESSION {victim.thread_id()}")
        assert sandbox.wait_until(lambda: not any(r["INFO"] == "SELECT SLEEP(30)"
                                                  for r in tls_backend.processlist()), 1.0)
        assert running.join(10)
    finally:
        running.join(35)
        victim.close()


@pytest.mark.parametrize("sent", ["nothing", "half_a_client_hello"])
def test_a_tls_handshake_that_stalls_is_closed_at_the_login_timeout(proxy_factory, pki, sent):
    """SPEC §2 "Before login": the TLS handshake is part of the login, so a client that sends
    its SSLRequest and then nothing (or part of a ClientHello) holds its socket and OpenSSL's
    buffers only until login_timeout_s."""
    node = proxy_factory.start(extra={"sql_tls": pki.server_tls(), "login_timeout_s": 2})
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=20)
    try:
        _read_packet(sock)
        ssl_request = struct.pack("<IIB23x", CLIENT.SSL | CLIENT.PROTOCOL_41, 1 << 24, 45)
        sock.sendall(len(ssl_request).to_bytes(3, "little") + b"\x01" + ssl_request)
        if sent == "half_a_client_hello":
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ssl.create_default_context(cafile=pki.ca).wrap_bio(
                incoming, outgoing, server_hostname="127.0.0.1")
            with pytest.raises(ssl.SSLWantReadError):
                tls.do_handshake()
            hello = outgoing.read()
            sock.sendall(hello[:len(hello) // 2])
        # By the client's address: the readiness probe's own connection may still be
        # listed for a moment (an ASan run once saw three sessions).
        me = "127.0.0.1:%d" % sock.getsockname()[1]

        def stalled_listed():
            return any(me in r for r in query(admin, "SHOW PROXYSESSION"))
        with pconnect(node, "admin") as admin:
            assert stalled_listed()  # the stalled login counts
            start = time.monotonic()
            try:
                closed = sock.recv(1) == b""
            except ConnectionResetError:
                closed = True
            assert closed, "proxyd sent bytes to a client in the middle of its handshake"
            assert time.monotonic() - start < 10
            assert sandbox.wait_until(lambda: not stalled_listed(), 5)
    finally:
        sock.close()


def test_tls_to_a_backend_that_does_not_offer_it_is_refused_with_the_reason(proxy_factory,
                                                                            primary):
    # The fixture's primary has no certificate, so its greeting does not offer SSL.
    p = proxy_factory.start(tenants={"sys": [{"name": "primary", "address": primary.address,
                                              "tls": "required"}]}, users=sys_users())
    with pytest.raises(pymysql.err.OperationalError) as e:
        with pconnect(p) as c:
            query(c, "SELECT 1")
    assert e.value.args[0] == 2003, e.value.args
    assert "backend 'primary' does not offer TLS" in e.value.args[1], e.value.args
