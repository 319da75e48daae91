"""Shared fixtures: two MariaDB backends and a proxyd in front of them (module scope).

Backends "primary" and "replica1" both have users app, alice, bob, admin, carol (password
<name>_pw) and a database testdb. The proxyd has tenant sys = [primary, replica1] and
tenant t2 = [replica1]; app, alice, bob in sys, admin (admin = true) in sys, app also in t2.
"""

import os
import sys

import pymysql
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402
from backend_report import pytest_runtest_makereport  # noqa: E402,F401  (a hook)

PASSWORDS = {u: f"{u}_pw" for u in ("app", "alice", "bob", "admin", "carol")}


def proxyd_bin() -> str:
    return sandbox.env_path("PROXYD_BIN")


def default_users() -> list:
    return [
        {"tenant": "sys", "name": "app", "password": PASSWORDS["app"]},
        {"tenant": "sys", "name": "alice", "password": PASSWORDS["alice"]},
        {"tenant": "sys", "name": "bob", "password": PASSWORDS["bob"]},
        {"tenant": "sys", "name": "admin", "password": PASSWORDS["admin"], "admin": True},
        {"tenant": "t2", "name": "app", "password": PASSWORDS["app"]},
    ]


@pytest.fixture(scope="module")
def backends():
    dbs = {}
    try:
        for name in ("primary", "replica1"):
            db = sandbox.MariaDB(name)
            dbs[name] = db
            db.start()
            for user, pw in PASSWORDS.items():
                db.create_user(user, pw)
            db.sql("CREATE DATABASE testdb")
        yield dbs
    finally:
        for db in dbs.values():
            db.stop()


class ProxyFactory:
    """Starts proxyd nodes; at teardown stops them and checks their logs for sanitizer reports."""

    def __init__(self, backends):
        self.backends = backends
        self.nodes = []

    def start(self, tenants=None, users=None, **kw) -> sandbox.Proxyd:
        if tenants is None:
            tenants = {"sys": [("primary", self.backends["primary"]),
                               ("replica1", self.backends["replica1"])],
                       "t2": [("replica1", self.backends["replica1"])]}
        p = sandbox.Proxyd(proxyd_bin(), tenants, default_users() if users is None else users, **kw)
        self.nodes.append(p)
        return p.start()

    def close(self):
        errors = []
        for p in self.nodes:
            p.stop()
            try:
                p.assert_sanitizer_clean()
            except AssertionError as e:
                errors.append(str(e))
            p.cleanup()
        assert not errors, "\n".join(errors)


@pytest.fixture(scope="module")
def proxy_factory(backends):
    f = ProxyFactory(backends)
    yield f
    f.close()


class _Direct:
    """Stands in for proxyd with the primary itself (OBP_DIRECT_CHECK=1): checks the tests'
    own expectations against MariaDB. Proxy-only behaviour (hints, ids, tenants) then fails."""

    def __init__(self, db):
        self.port = db.port

    def assert_sanitizer_clean(self):
        pass


@pytest.fixture(scope="module")
def proxy(proxy_factory):
    if os.environ.get("OBP_DIRECT_CHECK") == "1":
        return _Direct(proxy_factory.backends["primary"])
    return proxy_factory.start()


@pytest.fixture(scope="module")
def primary(backends):
    return backends["primary"]


@pytest.fixture(scope="module")
def replica1(backends):
    return backends["replica1"]


def pconnect(proxy, user="app", password=None, database=None, **kw):
    """Connects to proxyd as user (password defaults to <user>_pw) with autocommit on."""
    kw.setdefault("autocommit", True)
    base = user.split("@")[0]
    return sandbox.connect(proxy.port, user, PASSWORDS.get(base, "") if password is None
                           else password, database, **kw)


def dconnect(db, user="app", database=None, **kw):
    """Connects straight to a MariaDB backend, for comparison."""
    kw.setdefault("autocommit", True)
    return sandbox.connect(db.port, user, PASSWORDS[user], database, **kw)


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


# Shared by the admin-SQL and kill tests.
def _with_sqlstate(raise_fn):
    """pymysql drops the SQLSTATE of an error packet; keep it on the exception as .sqlstate."""
    if getattr(raise_fn, "keeps_sqlstate", False):
        return raise_fn

    def wrapped(data):
        try:
            raise_fn(data)
        except pymysql.err.MySQLError as e:
            e.sqlstate = data[4:9].decode() if data[3:4] == b"#" else None
            raise
    wrapped.keeps_sqlstate = True
    return wrapped


pymysql.err.raise_mysql_exception = _with_sqlstate(pymysql.err.raise_mysql_exception)


@pytest.fixture
def node(proxy_factory):
    """A proxyd of its own for one test; stopped and checked for sanitizer reports after it."""
    p = proxy_factory.start()
    yield p
    p.stop()
    p.assert_sanitizer_clean()


@pytest.fixture
def closing():
    conns = []
    yield conns
    for c in conns:
        try:
            c.close()
        except Exception:  # noqa: BLE001 - killed connections may fail to close cleanly
            pass
