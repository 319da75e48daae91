"""deploy/k8s/*.yaml: every core object validates against the official Kubernetes OpenAPI
schemas (npm kubernetes-models, offline: kubectl --dry-run=client needs a cluster), the
validator really refuses a bad object, and the manifests keep the promises the drain, the
metrics and the Secret rely on. The schemas accept unknown fields (as the API's OpenAPI
does), so a misspelt key is caught only where a check below reads that key.
"""

import copy
import glob
import json
import os
import re
import subprocess
import tomllib

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_DIR = os.path.join(HERE, "node")
VALIDATOR = os.path.join(NODE_DIR, "validate_k8s.js")
MANIFESTS = sorted(glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml")))
CORE_KINDS = {"StatefulSet", "Service", "Secret", "ConfigMap", "PodDisruptionBudget"}


def validate(args, stdin=None):
    """Runs the node validator; returns (exit code, one dict per object)."""
    r = subprocess.run(["node", VALIDATOR, *args], input=stdin, capture_output=True, text=True,
                       timeout=120, cwd=NODE_DIR)
    assert not r.stderr.strip(), r.stderr
    return r.returncode, [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def objects():
    out = []
    for path in MANIFESTS:
        with open(path) as f:
            out += [(os.path.basename(path), d) for d in yaml.safe_load_all(f) if d is not None]
    return out


def find(kind, name=None):
    hits = [o for _, o in objects() if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(hits) == 1, (kind, name, len(hits))
    return hits[0]


def proxyd_container():
    (c,) = [c for c in find("StatefulSet")["spec"]["template"]["spec"]["containers"] if c["name"] == "proxyd"]
    return c


def secret_file(key):
    return find("Secret", "proxyd-secret")["stringData"][key]


@pytest.fixture(scope="module", autouse=True)
def node_modules():
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kubernetes-models")), \
        "run scripts/install-node-deps.sh first"


def test_every_core_object_is_valid():
    assert MANIFESTS, "no deploy/k8s/*.yaml"
    rc, results = validate(MANIFESTS)
    bad = [r for r in results if r["status"] != "valid" and r["kind"] != "ServiceMonitor"]
    assert rc == 0 and not bad, bad
    assert {r["kind"] for r in results if r["status"] == "valid"} == CORE_KINDS
    assert len(results) == len(objects())


def test_the_validator_refuses_a_string_container_port():
    sts = copy.deepcopy(find("StatefulSet"))
    sts["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "2883"
    rc, results = validate(["-"], stdin=json.dumps([sts]))
    assert rc == 1
    assert results[0]["status"] == "invalid"
    assert "containerPort must be integer" in results[0]["error"], results[0]


def test_service_monitor_shape():
    """A CRD kubernetes-models has no schema for: checked by hand against its Service."""
    sm = find("ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    labels = sm["spec"]["selector"]["matchLabels"]
    matching = [o for _, o in objects() if o["kind"] == "Service"
                and labels.items() <= o["metadata"].get("labels", {}).items()]
    assert [s["metadata"]["name"] for s in matching] == ["proxyd-nodes"]
    (ep,) = sm["spec"]["endpoints"]
    assert ep["path"] == "/metrics"
    assert ep["port"] in {p["name"] for p in matching[0]["spec"]["ports"]}
    assert set(sm) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(sm["spec"]) == {"selector", "endpoints"}
    assert set(ep) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}


def test_probes_follow_the_drain():
    c = proxyd_container()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"mysql": 2883, "grpc": 2884, "metrics": 2885}
    # Readiness is gRPC health (NOT_SERVING as soon as a drain starts) on the grpc port.
    assert c["readinessProbe"]["grpc"]["port"] == ports["grpc"]
    assert "service" not in c["readinessProbe"]["grpc"]  # the overall status
    # Liveness must not use gRPC health: the kubelet would kill a draining pod.
    live = c["livenessProbe"]
    assert "grpc" not in live and "httpGet" not in live
    assert live["tcpSocket"]["port"] in ("grpc", ports["grpc"])


def test_grace_period_covers_the_drain():
    pod = find("StatefulSet")["spec"]["template"]["spec"]
    cfg = tomllib.loads(secret_file("proxyd.toml"))
    drain = cfg.get("drain_timeout_s", 30)
    assert pod["terminationGracePeriodSeconds"] >= drain + 10, (pod["terminationGracePeriodSeconds"], drain)
    hook = " ".join(proxyd_container()["lifecycle"]["preStop"]["exec"]["command"])
    assert re.search(r"obpctl --node 127\.0\.0\.1:2884 nodes drain\s+\$\(\( \$\{HOSTNAME##\*-\} \+ 1 \)\)", hook), hook
    # No --timeout: the drain then lasts at most the node's own drain_timeout_s.
    assert "--timeout" not in hook, hook
    # The start command gives the node the same id the hook drains.
    args = " ".join(proxyd_container()["args"])
    assert "--node-id $$(( ${HOSTNAME##*-} + 1 ))" in args, args


def test_secret_holds_users_and_tokens():
    c = proxyd_container()
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in find("StatefulSet")["spec"]["template"]["spec"]["volumes"]}
    assert vols["secret"]["secret"]["secretName"] == "proxyd-secret"
    assert f"--config {mounts['secret']}/proxyd.toml" in " ".join(c["args"])
    cfg = tomllib.loads(secret_file("proxyd.toml"))
    assert cfg["user"] and cfg["tokens_file"] == "tokens.toml" and cfg["peer_token_file"] == "peer.token"
    tokens = tomllib.loads(secret_file("tokens.toml"))["token"]
    by_secret = {t["token"]: t for t in tokens}
    assert by_secret[secret_file("peer.token").strip()]["role"] == "operator"
    assert by_secret[secret_file("operator.token").strip()]["role"] == "operator"
    (env,) = [e for e in c["env"] if e["name"] == "OBPCTL_TOKEN"]
    assert env["valueFrom"]["secretKeyRef"] == {"name": "proxyd-secret", "key": "operator.token"}
    # The fleet file (no secret) comes from the ConfigMap, at the path the config names.
    assert cfg["fleet_file"] == mounts["fleet"] + "/fleet.toml"
    assert vols["fleet"]["configMap"]["name"] == "proxyd-fleet"
    fleet = tomllib.loads(find("ConfigMap", "proxyd-fleet")["data"]["fleet.toml"])["node"]
    assert [n["id"] for n in fleet] == list(range(1, find("StatefulSet")["spec"]["replicas"] + 1))
    # Nothing secret outside the Secret.
    for _, o in objects():
        if o["kind"] != "Secret":
            assert "password" not in json.dumps(o) and "change-me" not in json.dumps(o), o["kind"]


def test_metrics_scrape():
    cfg = tomllib.loads(secret_file("proxyd.toml"))
    assert cfg["metrics_listen"] == "0.0.0.0:2885"
    ann = find("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert ann == {"prometheus.io/scrape": "true", "prometheus.io/port": "2885",
                   "prometheus.io/path": "/metrics"}


def test_disruption_budget_and_non_root():
    sts = find("StatefulSet")
    pdb = find("PodDisruptionBudget")
    assert pdb["spec"]["selector"] == sts["spec"]["selector"]
    assert pdb["spec"]["maxUnavailable"] == 1
    pod = sts["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
