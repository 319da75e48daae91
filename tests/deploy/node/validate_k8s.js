// Validates Kubernetes objects against the official OpenAPI schemas, offline, with
// kubernetes-models (one compiled validator per apiVersion/kind).
//   node validate_k8s.js FILE.yaml...   every document of every file
//   node validate_k8s.js -              one JSON array of objects on stdin
// Prints one JSON line per object: {"file", "index", "apiVersion", "kind", "name",
// "status": "valid" | "invalid" | "no-schema", "error"}. Exit 0 when nothing is invalid.
// "no-schema" is a kind kubernetes-models does not know (a CRD such as ServiceMonitor):
// the caller decides what to check by hand.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// "apps/v1" -> kubernetes-models/apps/v1; "v1" (core) -> kubernetes-models/v1.
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  let mod;
  try {
    mod = require("kubernetes-models/" + apiVersion);
  } catch (e) {
    return null;
  }
  return Object.prototype.hasOwnProperty.call(mod, kind) ? mod[kind] : null;
}

function check(file, index, obj) {
  const out = { file, index, apiVersion: obj && obj.apiVersion, kind: obj && obj.kind,
                name: obj && obj.metadata && obj.metadata.name };
  const Model = modelFor(out.apiVersion, out.kind);
  if (!Model) return { ...out, status: "no-schema" };
  try {
    new Model(obj).validate();
    return { ...out, status: "valid" };
  } catch (e) {
    return { ...out, status: "invalid", error: String(e.message || e) };
  }
}

function main(args) {
  const results = [];
  if (args.length === 1 && args[0] === "-") {
    JSON.parse(fs.readFileSync(0, "utf8")).forEach((o, i) => results.push(check("-", i, o)));
  } else {
    for (const file of args) {
      const docs = yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d) => d != null);
      docs.forEach((o, i) => results.push(check(file, i, o)));
    }
  }
  for (const r of results) console.log(JSON.stringify(r));
  return results.some((r) => r.status === "invalid") ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
