"""The TLS part of the benchmark: a throwaway CA (tests/lib/pki.py), the directory
sysbench 1.0 reads its TLS files from, and the targets measured with TLS.

Targets, all against the one bench MariaDB (started with the PKI's certificate):
  direct        plaintext to MariaDB, for reference
  direct-tls    TLS to MariaDB itself: what TLS costs without a proxy
  proxyd        the run's plaintext proxyd
  proxyd-tls    TLS on the client leg ([sql_tls]), plaintext to the backend
  proxyd-tls-backend   plaintext client leg, backend tls = "required"

Thread rule: the harness's main thread only.
"""
import os
import shutil
import tempfile

from . import targets


class TlsSetup:
    def __init__(self):
        sandbox = targets.load_sandbox()  # puts tests/lib on the path, where pki.py lives
        del sandbox
        import pki as pki_mod  # noqa: E402

        self.dir = tempfile.mkdtemp(prefix="obp-bench-tls-")
        self.pki = pki_mod.Pki(self.dir).make()
        self.client_dir = os.path.join(self.dir, "sysbench")
        os.makedirs(self.client_dir)
        for src, name in ((self.pki.client_key, "client-key.pem"),
                          (self.pki.client_crt, "client-cert.pem"), (self.pki.ca, "cacert.pem")):
            shutil.copy(src, os.path.join(self.client_dir, name))
        self.nodes = []

    def start_targets(self, harness, sandbox):
        """The TLS part's targets; a proxyd that can't start is a note, not an abort."""
        db_port = harness.db.port
        out = [targets.Target("direct", "127.0.0.1", db_port),
               targets.Target("direct-tls", "127.0.0.1", db_port, ssl_dir=self.client_dir)]
        plain = next((t for t in harness.targets if t.name == "proxyd"), None)
        if plain is not None:
            out.append(plain)
        if not harness.proxyd_bin:
            return out
        variants = [("proxyd-tls", dict(sql_tls={"cert_file": self.pki.server_crt,
                                                  "key_file": self.pki.server_key}), True),
                    ("proxyd-tls-backend", dict(backend_tls="required"), False)]
        for name, kw, client_tls in variants:
            try:
                node, _ = targets.start_proxyd(sandbox, harness.proxyd_bin, db_port,
                                               harness.args.proxy_threads, **kw)
            except RuntimeError as e:
                harness.note(f"{name} not measured: {e}")
                continue
            self.nodes.append(node)
            out.append(targets.Target(name, "127.0.0.1", node.port, node.pid,
                                      ssl_dir=self.client_dir if client_tls else None))
        return out

    def stop(self):
        for node in self.nodes:
            try:
                node.cleanup() if hasattr(node, "cleanup") else node.stop()
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
