"""A throwaway PKI made with the openssl CLI, for the TLS tests (gRPC port, SQL port,
backend leg): a CA, a server certificate naming 127.0.0.1-3 and localhost, a client
certificate, and a rogue CA with a client certificate of its own, for refusals."""

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def _openssl(*args, cwd):
    r = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (args, r.stderr)


class Pki:
    """A CA with a server certificate (IP SANs 127.0.0.1-3, serverAuth+clientAuth so a node
    can show it to its peers too) and a client certificate; plus a rogue CA with a client
    certificate of its own, for refusals. Paths are attributes (ca, server_crt, ...)."""

    def __init__(self, root: str):
        self.dir = root
        p = lambda name: os.path.join(root, name)  # noqa: E731
        self.ca, self.ca_key = p("ca.crt"), p("ca.key")
        self.server_crt, self.server_key = p("server.crt"), p("server.key")
        self.client_crt, self.client_key = p("client.crt"), p("client.key")
        self.rogue_ca, self.rogue_ca_key = p("rogue-ca.crt"), p("rogue-ca.key")
        self.rogue_crt, self.rogue_key = p("rogue.crt"), p("rogue.key")

    def make(self) -> "Pki":
        self._ca(self.ca, self.ca_key, "obp test CA")
        self._ca(self.rogue_ca, self.rogue_ca_key, "obp rogue CA")
        self._leaf("server", self.server_crt, self.server_key, self.ca, self.ca_key,
                   "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n")
        self._leaf("ops-client", self.client_crt, self.client_key, self.ca, self.ca_key,
                   "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        self._leaf("rogue-client", self.rogue_crt, self.rogue_key, self.rogue_ca,
                   self.rogue_ca_key, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        return self

    def _ca(self, crt, key, cn):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-noenc", "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={cn}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)

    def _leaf(self, cn, crt, key, ca, ca_key, ext):
        csr, extfile = crt + ".csr", crt + ".ext"
        with open(extfile, "w") as f:
            f.write(ext)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc",
                 "-keyout", key, "-out", csr, "-subj", f"/CN={cn}", cwd=self.dir)
        _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                 "-set_serial", str(secrets.randbits(63)), "-days", "2", "-out", crt,
                 "-extfile", extfile, cwd=self.dir)

    def extra_server(self, name: str, san: str) -> tuple[str, str]:
        """Another server certificate from the CA, naming only `san` (e.g. "IP:127.0.0.9");
        returns (crt, key)."""
        crt, key = os.path.join(self.dir, f"{name}.crt"), os.path.join(self.dir, f"{name}.key")
        self._leaf(name, crt, key, self.ca, self.ca_key,
                   f"subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        return crt, key

    def server_tls(self, require_client_cert: bool = False) -> dict:
        """A [grpc_tls] or [sql_tls] table for a node."""
        t = {"cert_file": self.server_crt, "key_file": self.server_key, "ca_file": self.ca}
        if require_client_cert:
            t["require_client_cert"] = True
        return t


@contextlib.contextmanager
def throwaway_pki(prefix: str = "obp-pki-"):
    """A made Pki in its own temp dir, removed afterwards (what a test module's fixture yields)."""
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        yield Pki(d).make()
    finally:
        shutil.rmtree(d, ignore_errors=True)
