#!/usr/bin/env python3
"""Checks packaging/kubernetes: the DaemonSet is whole and consistent
(selector and labels, the image kustomization.yaml names, volumes and
their mounts, /var/log/pods mounted read-only from the node, the port
the exporter listens on, the probes and the scrape annotations), then
writes the container's arguments (one per line) to ARGS and its
environment (NAME=VALUE) to ENV, for check.sh to run them.

usage: daemonset.py DIR ARGS ENV
"""
import sys

import yaml


def fail(msg):
    print("daemonset: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    d, args_out, env_out = sys.argv[1:]
    with open(d + "/daemonset.yaml") as f:
        docs = [x for x in yaml.safe_load_all(f) if x is not None]
    with open(d + "/kustomization.yaml") as f:
        kust = yaml.safe_load(f)
    ds = [x for x in docs if x.get("kind") == "DaemonSet"]
    if len(ds) != 1:
        fail("%d DaemonSets, not one" % len(ds))
    ds = ds[0]
    if ds.get("apiVersion") != "apps/v1":
        fail("apiVersion %r" % ds.get("apiVersion"))
    ns = ds["metadata"].get("namespace")
    if ns not in [x["metadata"]["name"] for x in docs
                  if x.get("kind") == "Namespace"]:
        fail("namespace %r is not made here" % ns)
    if "daemonset.yaml" not in kust.get("resources", []):
        fail("kustomization.yaml does not name daemonset.yaml")
    spec = ds["spec"]
    tmpl = spec["template"]
    labels = tmpl["metadata"].get("labels", {})
    for k, v in spec["selector"]["matchLabels"].items():
        if labels.get(k) != v:
            fail("selector %s=%s does not select the pods" % (k, v))
    pod = tmpl["spec"]
    cs = pod["containers"]
    if len(cs) != 1:
        fail("%d containers" % len(cs))
    c = cs[0]
    if c["image"] not in [i["name"] for i in kust.get("images", [])]:
        fail("image %r is not set by kustomization.yaml" % c["image"])
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for m in mounts.values():
        if m["name"] not in vols:
            fail("mount of an undeclared volume %s" % m["name"])
    pods = mounts.get("/var/log/pods")
    if pods is None or pods.get("readOnly") is not True:
        fail("/var/log/pods is not mounted read-only")
    if vols[pods["name"]].get("hostPath", {}).get("path") != "/var/log/pods":
        fail("/var/log/pods is not the node's")
    args = c["args"]
    listen = [a.split("=", 1)[1] for a in args if a.startswith("--listen=")]
    if len(listen) != 1:
        fail("no --listen=ADDR:PORT argument")
    port = int(listen[0].rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    if port not in ports.values():
        fail("listens on %d, declares %s" % (port, ports))
    for probe in ("readinessProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        if ports.get(get["port"], get["port"]) != port:
            fail("%s on another port" % probe)
    ann = tmpl["metadata"].get("annotations", {})
    if ann.get("prometheus.io/port") != str(port):
        fail("prometheus.io/port is not %d" % port)
    state = [a.split("=", 1)[1] for a in args
             if a.startswith("--state-file=")]
    if len(state) != 1 or not any(state[0].startswith(p + "/")
                                  for p in mounts):
        fail("the state file is not on a volume: %s" % state)
    sec = c.get("securityContext", {})
    if sec.get("readOnlyRootFilesystem") is not True or \
            sec.get("allowPrivilegeEscalation") is not False or \
            sec.get("capabilities", {}).get("drop") != ["ALL"]:
        fail("the container is not locked down")
    with open(args_out, "w") as f:
        f.write("".join(a + "\n" for a in args))
    with open(env_out, "w") as f:
        f.write("".join("%s=%s\n" % (e["name"], e["value"])
                        for e in c.get("env", [])))


main()
