"""The proxyd.toml and tokens of deploy/k8s/secret.yaml run: the real proxyd starts with them
(the Secret's files in a temp dir as the pod mounts them; listeners, fleet file and backend
moved to loopback by flags and one address swap), accepts the Secret's operator token and
refuses a call without one, and stops on SIGTERM with exit 0.

Keys this proxyd build does not know yet are in PENDING_KEYS (they come with other parts of
the same issue): the test removes them only when `proxyd --help` lacks their flag, and says
so in its output; once proxyd has them, the Secret's file runs unchanged.
"""

import os
import re
import signal
import subprocess

import yaml

import sandbox
from conftest import ROOT

PENDING_KEYS = ("metrics_listen", "drain_timeout_s")


def secret_files():
    with open(os.path.join(ROOT, "deploy", "k8s", "secret.yaml")) as f:
        (secret,) = [d for d in yaml.safe_load_all(f) if d and d["kind"] == "Secret"]
    return secret["stringData"]


def known_flags(proxyd):
    r = subprocess.run([proxyd, "--help"], capture_output=True, text=True, timeout=30)
    return set(re.findall(r"--([a-z0-9-]+)", r.stdout))


def test_secret_config_starts_proxyd(tmp_path):
    proxyd, obpctl = sandbox.env_path("PROXYD_BIN"), sandbox.env_path("OBPCTL_BIN")
    files = secret_files()
    config = files["proxyd.toml"]
    flags = known_flags(proxyd)
    for key in PENDING_KEYS:
        if key.replace("_", "-") not in flags:
            print(f"this proxyd has no {key} yet: removed from the Secret's config for this run")
            config, n = re.subn(rf"^{key} = .*$", "", config, flags=re.M)
            assert n == 1, key
    # Backends resolve by cluster DNS names: point them at a closed loopback port instead.
    config = re.sub(r'address = "[^"]+"', 'address = "127.0.0.1:1"', config)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "proxyd.toml").write_text(config)
    sql, grpc = sandbox.free_port(), sandbox.free_port()
    (tmp_path / "fleet.toml").write_text(f'[[node]]\nid = 1\ngrpc = "127.0.0.1:{grpc}"\nsql = "127.0.0.1:{sql}"\n')
    args = [proxyd, "--config", str(tmp_path / "proxyd.toml"), "--node-id", "1",
            "--listen", f"127.0.0.1:{sql}", "--grpc-listen", f"127.0.0.1:{grpc}",
            "--fleet-file", str(tmp_path / "fleet.toml")]
    if "metrics-listen" in flags:
        args += ["--metrics-listen", f"127.0.0.1:{sandbox.free_port()}"]
    log = open(tmp_path / "proxyd.log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert sandbox.wait_until(lambda: sandbox.port_open(sql) or proc.poll() is not None, 20)
        assert proc.poll() is None, (tmp_path / "proxyd.log").read_text()[-3000:]
        ctl = [obpctl, "--node", f"127.0.0.1:{grpc}", "--timeout", "5s", "nodes"]
        r = subprocess.run(ctl, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, OBPCTL_TOKEN=files["operator.token"].strip()))
        assert r.returncode == 0 and re.search(r"^1\s+127\.0\.0\.1:\d+\s+ok\b", r.stdout, re.M), (r.stdout, r.stderr)
        env = {k: v for k, v in os.environ.items() if k != "OBPCTL_TOKEN"}
        r = subprocess.run(ctl, capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode != 0 and "unauthenticated: missing bearer token" in r.stderr, (r.stdout, r.stderr)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait(timeout=10)
        log.close()
    text = (tmp_path / "proxyd.log").read_text(errors="replace")
    assert rc == 0, text[-3000:]
    assert not any(m in text for m in sandbox.SANITIZER_MARKERS), text[-4000:]
