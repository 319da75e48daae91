"""SPEC §1/§2 login: proxyd authenticates clients itself; user@tenant#cluster picks the tenant."""

import pymysql
import pytest

from conftest import PASSWORDS, pconnect, query
import sandbox


def login_error(proxy, user, password, **kw):
    with pytest.raises(pymysql.err.OperationalError) as e:
        sandbox.connect(proxy.port, user, password, **kw)
    return e.value.args


def test_wrong_password_exact_error(proxy):
    res = sandbox.mariadb_cli(proxy.port, "app", "wrong", "SELECT 1")
    assert res.returncode != 0
    assert res.stderr.strip() == ("ERROR 1045 (28000): Access denied for user 'app'@'127.0.0.1' "
                                  "(using password: YES)")
    assert login_error(proxy, "app", "wrong") == (
        1045, "Access denied for user 'app'@'127.0.0.1' (using password: YES)")


def test_empty_password_says_no(proxy):
    errno, msg = login_error(proxy, "app", "")
    assert errno == 1045 and msg.endswith("(using password: NO)"), msg


def test_unknown_user(proxy):
    errno, msg = login_error(proxy, "nobody", "x")
    assert errno == 1045, msg
    assert "nobody" in msg


def test_default_tenant_is_sys(proxy, primary):
    conn = pconnect(proxy)
    assert query(conn, "SELECT @@port, CURRENT_USER()") == ((primary.port, "app@%"),)
    conn.close()


def test_user_at_tenant(proxy, replica1):
    conn = sandbox.connect(proxy.port, "app@t2", PASSWORDS["app"], autocommit=True)
    assert query(conn, "SELECT @@port") == ((replica1.port,),)
    conn.close()
    res = sandbox.mariadb_cli(proxy.port, "app@t2", PASSWORDS["app"], "SELECT @@port", "-N", "-B")
    assert (res.returncode, res.stdout.strip()) == (0, str(replica1.port)), res.stderr


def test_user_not_in_tenant(proxy):
    assert login_error(proxy, "alice@t2", PASSWORDS["alice"])[0] == 1045


def test_unknown_tenant(proxy):
    assert login_error(proxy, "app@nope", PASSWORDS["app"])[0] == 1045


def test_cluster_suffix(proxy, primary):
    conn = sandbox.connect(proxy.port, "app@sys#test", PASSWORDS["app"], autocommit=True)
    assert query(conn, "SELECT @@port") == ((primary.port,),)
    conn.close()
    assert login_error(proxy, "app@sys#othercluster", PASSWORDS["app"])[0] == 1045


def test_password_hash_user(proxy_factory, primary):
    p = proxy_factory.start(users=[{"tenant": "sys", "name": "carol",
                                    "password_hash": sandbox.password_hash("carol_pw")}])
    conn = sandbox.connect(p.port, "carol", "carol_pw", autocommit=True)
    assert query(conn, "SELECT CURRENT_USER(), @@port") == (("carol@%", primary.port),)
    conn.close()
    assert login_error(p, "carol", "carol_pwX")[0] == 1045


def test_many_logins(proxy):
    """Each login gets a fresh scramble; repeated logins all succeed."""
    for _ in range(30):
        conn = pconnect(proxy)
        assert query(conn, "SELECT 1") == ((1,),)
        conn.close()


def test_admin_user_logs_in(proxy):
    conn = pconnect(proxy, "admin")
    assert query(conn, "SELECT CURRENT_USER()") == (("admin@%",),)
    conn.close()
