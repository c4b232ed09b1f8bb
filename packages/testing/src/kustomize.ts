import { readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";

/**
 * The subset of kustomize that deploy/k8s uses, so CI can render it without kubectl (no kustomize ships on npm):
 * `resources` (files and folders), `components`, `namespace`, `images`, `patches` (strategic merge, from a file,
 * matched by kind and name), and `configMapGenerator` with `files` under `generatorOptions.disableNameSuffixHash`.
 * Any other field is an error naming it, so a kustomization that outgrows this renderer fails instead of rendering
 * something else than `kubectl kustomize` would.
 */

/** A rendered Kubernetes object. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = Record<string, unknown>;

interface Kustomization {
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { path?: string; target?: unknown; patch?: string }[];
  configMapGenerator?: { name: string; files?: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
}

const KNOWN_FIELDS = new Set([
  "apiVersion",
  "kind",
  "resources",
  "components",
  "namespace",
  "images",
  "patches",
  "configMapGenerator",
  "generatorOptions",
]);

// Kinds this renderer leaves without a namespace (kustomize knows them from the API's discovery data).
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);

// Strategic-merge list keys of the pod spec fields the patches touch; other lists are replaced whole, as in
// kustomize for lists without a merge key.
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
};

/** Renders the kustomization in `dir` like `kubectl kustomize dir`, for the supported subset. */
export function renderKustomization(dir: string): K8sObject[] {
  return build(dir, "Kustomization", []);
}

function build(dir: string, expectedKind: string, inherited: K8sObject[]): K8sObject[] {
  const k = readKustomization(dir, expectedKind);
  let objects = [...inherited];
  for (const resource of k.resources ?? []) objects.push(...loadResource(join(dir, resource)));
  for (const component of k.components ?? []) objects = build(join(dir, component), "Component", objects);
  objects.push(...generateConfigMaps(dir, k));
  for (const patch of k.patches ?? []) applyPatch(dir, patch, objects);
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  for (const image of k.images ?? []) for (const o of objects) setImage(o, image);
  return objects;
}

function readKustomization(dir: string, expectedKind: string): Kustomization {
  const path = join(dir, "kustomization.yaml");
  const k = parseYaml(path)[0] as Kustomization & Json;
  const kind = k.kind ?? "Kustomization";
  if (kind !== expectedKind) throw new Error(`${path}: kind ${kind}, expected ${expectedKind}`);
  for (const field of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(field)) throw new Error(`${path}: field ${field} is not supported by this renderer`);
  }
  if (k.configMapGenerator?.length && !k.generatorOptions?.disableNameSuffixHash) {
    throw new Error(`${path}: configMapGenerator needs generatorOptions.disableNameSuffixHash (no hash suffixes here)`);
  }
  return k;
}

function loadResource(path: string): K8sObject[] {
  if (statSync(path).isDirectory()) return build(path, "Kustomization", []);
  return parseYaml(path) as K8sObject[];
}

function parseYaml(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  const values: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

function generateConfigMaps(dir: string, k: Kustomization): K8sObject[] {
  return (k.configMapGenerator ?? []).map((generator) => {
    const data: Record<string, string> = {};
    for (const file of generator.files ?? []) {
      if (file.includes("=")) throw new Error(`configMapGenerator ${generator.name}: key=path is not supported`);
      data[basename(file)] = readFileSync(join(dir, file), "utf8");
    }
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: generator.name }, data };
  });
}

function applyPatch(dir: string, entry: { path?: string; target?: unknown; patch?: string }, objects: K8sObject[]) {
  if (!entry.path || entry.target || entry.patch) throw new Error("patches: only `- path: <file>` is supported");
  for (const patch of parseYaml(join(dir, entry.path)) as K8sObject[]) {
    const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
    if (!target) throw new Error(`patch ${entry.path}: no ${patch.kind} ${patch.metadata.name} to patch`);
    strategicMerge(target, patch as unknown as Json);
  }
}

/** Merges `patch` into `target` in place: maps recursively, keyed lists by key, null deletes, the rest replaces. */
export function strategicMerge(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    const mergeKey = MERGE_KEYS[key];
    if (value === null) delete target[key];
    else if (mergeKey && Array.isArray(current) && Array.isArray(value)) mergeList(current, value, mergeKey);
    else if (isMap(current) && isMap(value)) strategicMerge(current, value);
    else target[key] = value;
  }
}

// kustomize (kyaml) lists the patch's elements first, merged into their originals, then the untouched originals.
function mergeList(current: unknown[], patch: unknown[], key: string): void {
  const originals = current as Json[];
  const patched = (patch as Json[]).map((item) => {
    const existing = originals.find((c) => c[key] === item[key]);
    if (!existing) return item;
    strategicMerge(existing, item);
    return existing;
  });
  const rest = originals.filter((c) => !patched.includes(c));
  current.splice(0, current.length, ...patched, ...rest);
}

function isMap(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function setImage(o: K8sObject, image: { name: string; newName?: string; newTag?: string; digest?: string }): void {
  const pod = ((o.spec as Json | undefined)?.template as Json | undefined)?.spec as Json | undefined;
  for (const list of [pod?.containers, pod?.initContainers]) {
    for (const container of (list as Json[] | undefined) ?? []) {
      const ref = String(container.image);
      const name = ref.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
      if (name !== image.name) continue;
      const tag = image.digest ? `@${image.digest}` : image.newTag ? `:${image.newTag}` : ref.slice(name.length);
      container.image = `${image.newName ?? name}${tag}`;
    }
  }
}
