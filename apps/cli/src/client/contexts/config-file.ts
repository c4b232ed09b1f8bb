/**
 * Reading and writing config.yaml, the contexts `pancode login` saves. It holds tokens, so it is written 0600 in a
 * 0700 directory, atomically (a temporary file renamed over the old one: a crash never leaves half a file), and a
 * file other users can read still works but draws a warning naming the fix.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, stringify } from "yaml";
import { UsageError } from "../exit-status.js";
import { type Context, EMPTY_CONFIG, type PancodeConfig } from "./context.js";

const HEADER =
  "# pancode contexts: written by `pancode login` and `pancode context`. It holds tokens: keep it mode 600.\n";

/** Reads typed values out of a YAML tree; what is wrong is a UsageError with the file and the node's line. */
class TreeReader {
  constructor(
    private readonly path: string,
    private readonly lines: LineCounter,
  ) {}

  fail(node: unknown, what: string): never {
    const range = (node as Node | undefined)?.range;
    const line = range ? this.lines.linePos(range[0]).line : 1;
    throw new UsageError(`${this.path}:${line}: ${what} (fix it, or delete the file and log in again)`);
  }

  /** A non-empty string; a value of digits only is read as YAML's number, so take what was written (leading 0s). */
  string(node: unknown, near: unknown, what: string): string {
    const scalar = isScalar(node) && node.value !== null ? node : undefined;
    const value = typeof scalar?.value === "string" ? scalar.value : (scalar?.source ?? "");
    return value !== "" ? value : this.fail(node ?? near, `${what} must be a non-empty string`);
  }

  context(item: unknown): Context {
    if (!isMap(item)) return this.fail(item, "each context must have name, address and token");
    const name = this.string(item.get("name", true), item, "a context's name");
    const required = (key: string) => {
      const node = item.get(key, true);
      return node === undefined
        ? this.fail(item, `context "${name}" has no ${key}`)
        : this.string(node, item, `context "${name}": ${key}`);
    };
    const caNode = item.get("ca", true);
    const ca = caNode === undefined ? undefined : this.string(caNode, item, `context "${name}": ca`);
    return { name, address: required("address"), token: required("token"), ...(ca ? { ca } : {}) };
  }
}

/** Parses config.yaml; anything malformed is a UsageError naming the file and the line. */
export function parseConfig(text: string, path: string): PancodeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const what = syntax.message.split("\n")[0]?.replace(/ at line \d+.*$/, "");
    throw new UsageError(`${path}:${lines.linePos(syntax.pos[0]).line}: not valid YAML: ${what}`);
  }
  const tree = new TreeReader(path, lines);
  const root = doc.contents;
  if (root === null) return { contexts: [] };
  if (!isMap(root)) return tree.fail(root, "expected keys current-context and contexts");
  const currentNode = root.get("current-context", true);
  const current = currentNode === undefined ? undefined : tree.string(currentNode, root, "current-context");
  const list = root.get("contexts", true);
  if (list === undefined) return { current, contexts: [] };
  if (!isSeq(list)) return tree.fail(list, "contexts must be a list");
  const contexts: Context[] = [];
  for (const item of list.items) {
    const context = tree.context(item);
    if (contexts.some((c) => c.name === context.name)) tree.fail(item, `context "${context.name}" is defined twice`);
    contexts.push(context);
  }
  return { current, contexts };
}

/** The YAML text of `config`. */
export function formatConfig(config: PancodeConfig): string {
  const contexts = config.contexts.map((c) => ({
    name: c.name,
    address: c.address,
    token: c.token,
    ...(c.ca ? { ca: c.ca } : {}),
  }));
  return HEADER + stringify({ "current-context": config.current, contexts });
}

/** Files already warned about in this process, so one invocation warns once. */
const warned = new Set<string>();

/** Warns (once, on stderr) when group or other users may read or write the file; it keeps working. */
function warnIfOpen(path: string, mode: number): void {
  if ((mode & 0o077) === 0 || warned.has(path)) return;
  warned.add(path);
  const octal = (mode & 0o777).toString(8);
  process.stderr.write(
    `pancode: warning: ${path} (mode ${octal}) holds tokens other users can read; run: chmod 600 ${path}\n`,
  );
}

/** Reads config.yaml: no file is no contexts; a malformed one is a UsageError naming the file and the line. */
export function readConfig(path: string): PancodeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_CONFIG;
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  warnIfOpen(path, statSync(path).mode);
  return parseConfig(text, path);
}

/** Writes config.yaml atomically: mode 0600, in a directory of mode 0700, renamed over the old file. */
export function writeConfig(path: string, config: PancodeConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = join(dir, `.config.yaml.${process.pid}.${randomBytes(4).toString("hex")}`);
  try {
    const fd = openSync(temp, "wx", 0o600);
    try {
      writeSync(fd, formatConfig(config));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
