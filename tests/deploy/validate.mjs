// SPDX-License-Identifier: MIT
// Offline schema validation of a kustomize directory of Kubernetes manifests.
//   usage: node validate.mjs DIR [--dump FILE]
//          node validate.mjs --collector FILE
// Every resource listed in DIR/kustomization.yaml is parsed and checked
// against the Kubernetes OpenAPI schemas compiled into the npm package
// kubernetes-models (types, required fields, enums, formats), then walked
// strictly: a field the API type does not declare is an error, as with
// `kubectl --validate=strict` or `kubeconform -strict`. Every manifest file
// in DIR must be listed. --dump writes the objects as one JSON array.
// --collector checks an OpenTelemetry Collector config's wiring instead:
// every pipeline component is defined, every defined one is used, and each
// type is one this project's configs may name; tail_sampling policies are
// checked against the processor's policy schema (types, their fields and
// value types, and/drop sub-policies).
// Prints one line per problem and "ok N ..."; exits 1 on any problem, 2 on a
// usage error.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODELS = path.join(HERE, "node_modules", "kubernetes-models");
const NODE_MODULES = path.join(HERE, "node_modules");

const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

// --- the strict walk, driven by the package's TypeScript declarations -------

const dtsCache = new Map();

// Parses one generated .d.ts: the first interface's properties (name ->
// type text) and the imported type names (name -> .d.ts path). Returns null
// for files that declare no interface (aliases such as Quantity or Time).
function parseDts(file) {
  if (dtsCache.has(file)) return dtsCache.get(file);
  let out = null;
  if (fs.existsSync(file)) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const imports = new Map();
    for (const l of lines) {
      const m = l.match(/^import \{ (\w+) \} from "([^"]+)";/);
      if (m) imports.set(m[1], resolveImport(file, m[2]));
    }
    const start = lines.findIndex((l) => /^export interface I\w+ (extends [\w, ]+ )?\{/.test(l));
    if (start >= 0) {
      const props = new Map();
      for (let i = start + 1; i < lines.length && lines[i] !== "}"; i++) {
        const m = lines[i].match(/^ {4}"([^"]+)"\??: (.*?);?$/);
        if (m) props.set(m[1], m[2]);
      }
      out = { props, imports };
    }
  }
  dtsCache.set(file, out);
  return out;
}

function resolveImport(from, spec) {
  const rel = spec.replace(/\.js$/, "");
  const base = spec.startsWith(".") ? path.resolve(path.dirname(from), rel)
    : path.join(NODE_MODULES, rel);
  return base + ".d.ts";
}

// Checks obj against the interface in dts; path is for messages.
function walk(obj, dts, where) {
  const t = parseDts(dts);
  if (!t || obj === null || typeof obj !== "object" || Array.isArray(obj)) return;
  for (const [key, val] of Object.entries(obj)) {
    const type = t.props.get(key);
    if (type === undefined) {
      problem(`${where}.${key}`, "unknown field");
      continue;
    }
    let m = type.match(/^Array<(I\w+)>$/);
    if (m && Array.isArray(val) && t.imports.has(m[1])) {
      val.forEach((v, i) => walk(v, t.imports.get(m[1]), `${where}.${key}[${i}]`));
      continue;
    }
    m = type.match(/^(I\w+)$/);
    if (m && t.imports.has(m[1])) walk(val, t.imports.get(m[1]), `${where}.${key}`);
  }
}

// --- one manifest object -----------------------------------------------------

async function validateObject(obj, where) {
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind) {
    problem(where, "not a Kubernetes object (apiVersion and kind are required)");
    return;
  }
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/")
    : ["", obj.apiVersion];
  const sub = path.join(group, version, obj.kind);
  const dts = path.join(MODELS, sub + ".d.ts");
  if (!/^[\w.]*$/.test(group) || !/^\w+$/.test(version) || !/^\w+$/.test(obj.kind) ||
      !fs.existsSync(dts)) {
    problem(where, `unknown type ${obj.apiVersion} ${obj.kind}`);
    return;
  }
  const mod = await import(path.join(MODELS, sub + ".js"));
  const Model = mod[obj.kind];
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const line of String(e.message).split(/\n|, (?=data)/))
      problem(where, line.trim());
  }
  walk(obj, dts, `${where} ${obj.kind}`);
}

// --- the kustomization ---------------------------------------------------------

// Component types the collector configs here may use (contrib names, with
// the newer snake_case spellings accepted as well).
const COLLECTOR_TYPES = {
  extensions: ["health_check"],
  receivers: ["otlp"],
  processors: ["memory_limiter", "k8sattributes", "k8s_attributes", "batch", "tail_sampling",
    "resource", "transform"],
  exporters: ["otlp", "otlp_grpc", "otlphttp", "otlp_http", "loadbalancing", "load_balancing",
    "debug"],
};

// tail_sampling policy types and the fields of each one's section, from the
// processor's config.go: [field, check] pairs.
const num = (v) => typeof v === "number";
const str = (v) => typeof v === "string" && v.length > 0;
const strs = (v) => Array.isArray(v) && v.length > 0 && v.every(str);
const bool = (v) => typeof v === "boolean";
const POLICY_FIELDS = {
  always_sample: null,
  latency: { threshold_ms: num, upper_threshold_ms: num },
  numeric_attribute: { key: str, min_value: num, max_value: num, invert_match: bool },
  probabilistic: { sampling_percentage: (v) => num(v) && v >= 0 && v <= 100, hash_salt: str },
  status_code: { status_codes: (v) => strs(v) && v.every((c) => ["OK", "ERROR", "UNSET"].includes(c)) },
  string_attribute: { key: str, values: strs, enabled_regex_matching: bool, cache_max_size: num,
    invert_match: bool },
  boolean_attribute: { key: str, value: bool, invert_match: bool },
  span_count: { min_spans: num, max_spans: num },
  trace_state: { key: str, values: strs },
  rate_limiting: { spans_per_second: num },
  ottl_condition: { error_mode: (v) => ["ignore", "silent", "propagate"].includes(v), span: strs,
    spanevent: strs },
};
const POLICY_REQUIRED = { numeric_attribute: ["key"], string_attribute: ["key", "values"],
  boolean_attribute: ["key", "value"], latency: ["threshold_ms"],
  probabilistic: ["sampling_percentage"], status_code: ["status_codes"] };

function checkPolicies(file, where, policies, nested) {
  if (!Array.isArray(policies) || !policies.length) {
    problem(file, `${where}: no policies`);
    return;
  }
  const names = new Set();
  for (const p of policies) {
    const at = `${where} ${p && p.name}`;
    if (!p || !str(p.name)) { problem(file, `${where}: a policy without a name`); continue; }
    if (names.has(p.name)) problem(file, `${at}: duplicate policy name`);
    names.add(p.name);
    const sub = { and: "and_sub_policy", drop: "drop_sub_policy" }[p.type];
    if (sub && !nested) {
      for (const k of Object.keys(p)) if (!["name", "type", p.type].includes(k))
        problem(file, `${at}: unexpected field ${k}`);
      checkPolicies(file, `${at}.${sub}`, p[p.type] && p[p.type][sub], true);
      continue;
    }
    if (!(p.type in POLICY_FIELDS)) { problem(file, `${at}: unknown policy type ${p.type}`); continue; }
    for (const k of Object.keys(p)) if (!["name", "type", p.type].includes(k))
      problem(file, `${at}: unexpected field ${k}`);
    const fields = POLICY_FIELDS[p.type];
    if (!fields) continue;
    const c = p[p.type];
    if (!c || typeof c !== "object") { problem(file, `${at}: no ${p.type} section`); continue; }
    for (const [k, v] of Object.entries(c)) {
      if (!(k in fields)) problem(file, `${at}: ${p.type}.${k} is not a field`);
      else if (!fields[k](v)) problem(file, `${at}: ${p.type}.${k} has a bad value ${JSON.stringify(v)}`);
    }
    for (const k of POLICY_REQUIRED[p.type] || [])
      if (!(k in c)) problem(file, `${at}: ${p.type}.${k} is required`);
    if (p.type === "numeric_attribute" && !("min_value" in c) && !("max_value" in c))
      problem(file, `${at}: numeric_attribute needs min_value or max_value`);
    if (p.type === "ottl_condition" && !c.span && !c.spanevent)
      problem(file, `${at}: ottl_condition needs span or spanevent conditions`);
  }
}

function checkCollector(file) {
  let cfg;
  try {
    cfg = YAML.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    problem(file, `cannot parse: ${e.message.split("\n")[0]}`);
    return 0;
  }
  const used = new Set();
  const pipelines = (cfg && cfg.service && cfg.service.pipelines) || {};
  if (!Object.keys(pipelines).length) problem(file, "no service.pipelines");
  const refs = [["extensions", (cfg && cfg.service && cfg.service.extensions) || []]];
  for (const [name, p] of Object.entries(pipelines)) {
    if (!/^(traces|metrics|logs)(\/.*)?$/.test(name)) problem(file, `pipeline ${name}: bad type`);
    for (const kind of ["receivers", "processors", "exporters"]) {
      if (kind !== "processors" && !(p[kind] || []).length)
        problem(file, `pipeline ${name}: no ${kind}`);
      refs.push([kind, p[kind] || [], name]);
    }
  }
  for (const [kind, names, pipe] of refs)
    for (const n of names) {
      used.add(`${kind}:${n}`);
      if (!cfg[kind] || !(n in cfg[kind]))
        problem(file, `${pipe ? "pipeline " + pipe : "service"} uses undefined ${kind} ${n}`);
    }
  let n = 0;
  for (const kind of Object.keys(COLLECTOR_TYPES))
    for (const name of Object.keys((cfg && cfg[kind]) || {})) {
      n++;
      if (!COLLECTOR_TYPES[kind].includes(name.split("/")[0]))
        problem(file, `${kind} ${name}: unknown component type`);
      if (!used.has(`${kind}:${name}`)) problem(file, `${kind} ${name}: defined but unused`);
    }
  for (const k of Object.keys(cfg || {}))
    if (!(k in COLLECTOR_TYPES) && k !== "service" && k !== "connectors")
      problem(file, `unknown top-level section ${k}`);
  for (const [name, p] of Object.entries((cfg && cfg.processors) || {}))
    if (name.split("/")[0] === "tail_sampling")
      checkPolicies(file, `processors ${name}`, p && p.policies, false);
  return n;
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--collector" && args[1]) {
    const n = checkCollector(args[1]);
    for (const p of problems) console.log(p);
    console.log(problems.length ? `FAILED ${problems.length} problems` : `ok ${n} components`);
    process.exit(problems.length ? 1 : 0);
  }
  const dir = args[0];
  const dump = args[1] === "--dump" ? args[2] : null;
  if (!dir || dir.startsWith("-") || (args.length > 1 && !dump)) {
    console.error("usage: node validate.mjs DIR [--dump FILE] | --collector FILE");
    process.exit(2);
  }
  const kfile = path.join(dir, "kustomization.yaml");
  let kust;
  try {
    kust = YAML.parse(fs.readFileSync(kfile, "utf8"));
  } catch (e) {
    problem(kfile, `cannot read: ${e.message.split("\n")[0]}`);
  }
  const resources = (kust && kust.resources) || [];
  if (kust) {
    if (kust.apiVersion !== "kustomize.config.k8s.io/v1beta1" || kust.kind !== "Kustomization")
      problem(kfile, "not a kustomize.config.k8s.io/v1beta1 Kustomization");
    const known = new Set(["apiVersion", "kind", "namespace", "resources", "images", "labels",
      "commonLabels", "commonAnnotations", "configMapGenerator", "patches", "namePrefix"]);
    for (const k of Object.keys(kust)) if (!known.has(k)) problem(kfile, `unexpected field ${k}`);
    if (!resources.length) problem(kfile, "lists no resources");
  }
  for (const f of fs.readdirSync(dir))
    if (/\.ya?ml$/.test(f) && f !== "kustomization.yaml" && !resources.includes(f))
      problem(path.join(dir, f), "not listed in kustomization.yaml resources");

  let n = 0;
  const objects = [];
  for (const r of resources) {
    const file = path.join(dir, r);
    if (!fs.existsSync(file)) {
      problem(file, "listed in kustomization.yaml but missing");
      continue;
    }
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
    for (const [i, doc] of docs.entries()) {
      const where = `${r}#${i}`;
      if (doc.errors.length) {
        problem(where, `YAML: ${doc.errors[0].message.split("\n")[0]}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj === null) continue;
      const ns = obj.metadata && obj.metadata.namespace;
      if (kust.namespace && ns && ns !== kust.namespace && obj.kind !== "Namespace")
        problem(where, `namespace ${ns} differs from the kustomization's ${kust.namespace}`);
      await validateObject(obj, where);
      objects.push(obj);
      n++;
    }
  }
  if (dump) fs.writeFileSync(dump, JSON.stringify(objects));
  for (const p of problems) console.log(p);
  console.log(problems.length ? `FAILED ${problems.length} problems` : `ok ${n} objects`);
  process.exit(problems.length ? 1 : 0);
}

await main();
