#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Deployment files: deploy/kubernetes is validated offline against the
Kubernetes OpenAPI schemas, strictly (tests/deploy/validate.mjs, built on the
npm package kubernetes-models), broken copies must be rejected, the
DaemonSet keeps what docs/deploy-kubernetes.md promises, and the collector
configs in deploy/collector are wired. No BPF, a few seconds."""

import json
import os
import shutil
import subprocess
import tempfile

from harness import ROOT, check, test

VALIDATOR_DIR = os.path.join(ROOT, "tests", "deploy")
VALIDATE = os.path.join(VALIDATOR_DIR, "validate.mjs")
K8S_DIR = os.path.join(ROOT, "deploy", "kubernetes")
COLLECTOR_DIR = os.path.join(ROOT, "deploy", "collector")


def ensure_validator():
    """Installs the validator's pinned npm packages once (npm ci from the
    lockfile); later runs are offline."""
    stamp = os.path.join(VALIDATOR_DIR, "node_modules", ".stamp")
    lock = os.path.join(VALIDATOR_DIR, "package-lock.json")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(lock):
        return
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=VALIDATOR_DIR, capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "npm ci in tests/deploy failed: " + r.stderr[-2000:])
    open(stamp, "w").close()


def validate(*args):
    r = subprocess.run(["node", VALIDATE] + list(args), capture_output=True, text=True,
                       timeout=60)
    check(r.returncode in (0, 1), "validator crashed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    return r.returncode, r.stdout


def dump_objects():
    out = tempfile.mktemp(prefix="agentrace-k8s-", suffix=".json")
    try:
        rc, text = validate(K8S_DIR, "--dump", out)
        check(rc == 0, "deploy/kubernetes does not validate:\n" + text)
        return {o["kind"]: o for o in json.load(open(out))}
    finally:
        if os.path.exists(out):
            os.unlink(out)


def check_config_file(text):
    """agentrace itself accepts the ConfigMap's file (--help exits 0 after
    the file is applied; any key, type or value error exits 64), and the
    file sends spans to the node-local collector."""
    agentrace = os.path.join(ROOT, "build", "agentrace")
    check("OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-agent." in text, "no OTLP endpoint")
    if not os.path.exists(agentrace):
        return  # the manifest-only run (no build); make test builds first
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(text)
        f.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        r = subprocess.run([agentrace, "--config", f.name, "--help"], capture_output=True,
                           text=True, env=env, timeout=20)
        check(r.returncode == 0, "agentrace rejects the ConfigMap's file: " + r.stderr)
        f.seek(0)
        f.write(text.replace("stats-interval: 300", "stats-interval: often"))
        f.flush()
        r = subprocess.run([agentrace, "--config", f.name, "--help"], capture_output=True,
                           text=True, env=env, timeout=20)
        check(r.returncode == 64 and "stats-interval" in r.stderr,
              "a broken config file was accepted: %d %s" % (r.returncode, r.stderr))


@test
def test_deploy_manifests_validate():
    ensure_validator()
    objs = dump_objects()
    check(sorted(objs) == ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"],
          "unexpected kinds %r" % sorted(objs))
    ds = objs["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    check(pod.get("hostPID") is True, "hostPID must be true")
    check(pod.get("serviceAccountName") == objs["ServiceAccount"]["metadata"]["name"],
          "serviceAccountName does not name the ServiceAccount")
    check({"operator": "Exists"} in pod.get("tolerations", []),
          "no operator: Exists toleration: would skip tainted nodes")
    ns = objs["Namespace"]["metadata"]["name"]
    for kind in ("ServiceAccount", "ConfigMap", "DaemonSet"):
        check(objs[kind]["metadata"].get("namespace") == ns, "%s not in namespace %s" % (kind, ns))
    check(objs["Namespace"]["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") ==
          "privileged", "namespace must admit the privileged pod security level")

    (c,) = pod["containers"]
    sc = c["securityContext"]
    check(sc.get("privileged") is False, "privileged must be false")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation must be false")
    check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem must be true")
    check(sc["capabilities"].get("drop") == ["ALL"], "capabilities must drop ALL")
    adds = set(sc["capabilities"].get("add", []))
    check(adds == {"BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH"},
          "capabilities must be exactly the four least-privilege ones: %r" % adds)

    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for path, ro in (("/sys/kernel/tracing", False), ("/sys/kernel/btf", True),
                     ("/sys/fs/cgroup", True)):
        m = mounts.get(path)
        check(m is not None, "no mount at " + path)
        check(bool(m.get("readOnly")) == ro, "%s readOnly should be %s" % (path, ro))
        check(vols[m["name"]].get("hostPath", {}).get("path") == path,
              "%s is not the host's %s" % (m["name"], path))
    check("/tmp" in mounts and "emptyDir" in vols[mounts["/tmp"]["name"]],
          "/tmp must be an emptyDir under a read-only root")

    env = {e["name"]: e for e in c.get("env", [])}
    check(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName",
          "NODE_NAME must come from spec.nodeName")
    check(env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP",
          "POD_IP must come from status.podIP")
    # Settings come from the ConfigMap's config file, not a long args: list.
    cm = objs["ConfigMap"]
    check(list(cm["data"]) == ["agentrace.yaml"], "ConfigMap keys: %r" % list(cm["data"]))
    check(vols[mounts["/etc/agentrace"]["name"]].get("configMap", {}).get("name") ==
          cm["metadata"]["name"], "/etc/agentrace is not the ConfigMap")
    check("--config=/etc/agentrace/agentrace.yaml" in c["args"],
          "args do not read the config file: %r" % c["args"])
    check("envFrom" not in c, "exporter settings belong in the config file")
    check_config_file(cm["data"]["agentrace.yaml"])
    ann = ds["spec"]["template"]["metadata"].get("annotations", {})

    # The probe reaches the health server on the pod IP and the named port.
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    check("--health-addr=$(POD_IP):%d" % ports["health"] in c["args"],
          "--health-addr must bind $(POD_IP) on the health port: %r" % c["args"])
    check(ann.get("prometheus.io/scrape") == "true" and
          ann.get("prometheus.io/port") == str(ports["health"]) and
          ann.get("prometheus.io/path") == "/metrics", "scrape annotations: %r" % ann)
    rp = c["readinessProbe"]["httpGet"]
    check(rp["path"] == "/readyz" and rp["port"] == "health", "readiness probe: %r" % rp)
    lim, req = c["resources"]["limits"], c["resources"]["requests"]
    check(req.get("cpu") and req.get("memory") and lim.get("cpu") and lim.get("memory"),
          "requests and limits must both be set")


# Each breaks deploy/kubernetes in one way the validator must catch:
# (file, text to replace, replacement, expected message fragment).
BROKEN = [
    ("daemonset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true",
     "securityContext.readOnlyRootFileSystem: unknown field"),
    ("daemonset.yaml", "hostPID: true", 'hostPID: "yes"', "hostPID must be boolean"),
    ("daemonset.yaml", "        - name: agentrace\n", "        - nam: agentrace\n",
     "must have required property name"),
    ("daemonset.yaml", "type: RuntimeDefault", "type: Default",
     "seccompProfile/type must be equal to one of the allowed values"),
    ("daemonset.yaml", "kind: DaemonSet", "kind: DaemonSets", "unknown type apps/v1 DaemonSets"),
    ("daemonset.yaml", "  template:\n", "  templte:\n", "must have required property template"),
    ("configmap.yaml", "  agentrace.yaml: |", "  agentrace.yaml: |\n bad", "YAML:"),
    ("kustomization.yaml", "  - configmap.yaml\n", "", "not listed in kustomization.yaml"),
    ("kustomization.yaml", "  - daemonset.yaml\n", "  - daemonset.yml\n",
     "listed in kustomization.yaml but missing"),
]


@test
def test_deploy_manifests_reject_broken():
    ensure_validator()
    for fname, old, new, want in BROKEN:
        d = tempfile.mkdtemp(prefix="agentrace-k8s-")
        try:
            for f in os.listdir(K8S_DIR):
                shutil.copy(os.path.join(K8S_DIR, f), d)
            path = os.path.join(d, fname)
            text = open(path).read()
            check(old in text, "mutation target %r not in %s" % (old, fname))
            open(path, "w").write(text.replace(old, new, 1))
            rc, out = validate(d)
            check(rc == 1, "validator accepted %s with %r -> %r:\n%s" % (fname, old, new, out))
            check(want in out, "expected %r for %r -> %r, got:\n%s" % (want, old, new, out))
        finally:
            shutil.rmtree(d, ignore_errors=True)


@test
def test_deploy_collector_configs():
    ensure_validator()
    texts = {}
    for name in ("agent.yaml", "gateway.yaml"):
        path = os.path.join(COLLECTOR_DIR, name)
        rc, out = validate("--collector", path)
        check(rc == 0, "%s:\n%s" % (name, out))
        texts[name] = open(path).read()
    agent, gw = texts["agent.yaml"], texts["gateway.yaml"]
    for want in ("name: k8s.pod.uid", "name: container.id", "routing_key: traceID",
                 "loadbalancing:", "hostname: otel-gateway-headless."):
        check(want in agent, "agent.yaml lacks %r" % want)
    for want in ("type: status_code", "type: latency", "type: ottl_condition",
                 'IsMatch(attributes["gen_ai.response.finish_reasons"][0]', "type: probabilistic",
                 "tail_sampling", "key: tool.schema.drift", 'attributes["agentrace.sampling.rules"]',
                 "key: agentrace.trace.tokens", "and_sub_policy:"):
        check(want in gw, "gateway.yaml lacks %r" % want)
    # The policy check must fail on a misspelt field, a wrong value type and
    # an unknown policy type, including inside an and policy.
    for old, new, want in (("min_value: 50000", "min: 50000", "numeric_attribute.min is not a field"),
                           ("sampling_percentage: 10", "sampling_percentage: ten",
                            "probabilistic.sampling_percentage has a bad value"),
                           ("type: string_attribute\n              string_attribute:\n                key: tenant.id",
                            "type: string_attr\n              string_attribute:\n                key: tenant.id",
                            "unknown policy type string_attr")):
        check(old in gw, "gateway.yaml lacks %r" % old)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(gw.replace(old, new))
        try:
            rc, out = validate("--collector", f.name)
            check(rc == 1 and want in out, "%r -> %r accepted:\n%s" % (old, new, out))
        finally:
            os.unlink(f.name)
    # The wiring check itself must fail on a pipeline naming an undefined exporter.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(gw.replace("exporters: [otlp/tempo]", "exporters: [otlp/jaeger]"))
    try:
        rc, out = validate("--collector", f.name)
        check(rc == 1 and "undefined exporters otlp/jaeger" in out,
              "broken collector config accepted:\n" + out)
    finally:
        os.unlink(f.name)
