/** Where the workspace is mounted inside the run's container: absolute paths under it are inside. */
export const CONTAINER_WORKSPACE = "/workspace";

/** Absolute paths a task may name without leaving the workspace: the standard streams and sinks. */
const HARMLESS_DEVICES = new Set(["/dev/null", "/dev/zero", "/dev/stdin", "/dev/stdout", "/dev/stderr"]);

/** Extensions a bare file name (`package.json`) must have to be taken for a path rather than a word. */
const FILE_EXTENSION = /\.[A-Za-z][A-Za-z0-9_-]{0,9}$/;

/** Characters that separate words in prose and shell commands; quotes and brackets are stripped around a token. */
const SEPARATORS = /[\s"'`()[\]{}<>|;&,=]+/;

/**
 * Candidate file paths named in a task, in order of appearance and without duplicates. Unlike the seed (which only
 * looked at `./`, `../`, `/`, `src/`, `lib/` and `test/` prefixes), any token counts that is
 * - `..`, or starts with `/`, `./`, `../` or `~/` (explicit paths), or
 * - contains a `/` and either ends in `/` or in a file extension (`docs/a.md`, `packages/x/`), or
 * - a bare name with a file extension that contains a letter (`package.json`, `README.md`).
 * URLs, `--flag=value` prefixes, `:line:col` suffixes, trailing punctuation and the harmless devices
 * (`/dev/null`, ...) are left out.
 */
export function extractPaths(task: string): string[] {
  const found: string[] = [];
  for (const raw of task.split(SEPARATORS)) {
    const token = cleanToken(raw);
    if (token && isPathLike(token) && !found.includes(token)) found.push(token);
  }
  return found;
}

function cleanToken(raw: string): string {
  let token = raw;
  if (token.includes("://") || token.startsWith("-") || token.startsWith("@") || token.startsWith("$")) return "";
  // A redirect such as 2>/dev/null was split at ">"; a leading digit-only token is then harmless.
  token = token.replace(/[.,;:!?]+$/, "");
  // src/a.ts:12 or src/a.ts:12:5 (compiler and grep output).
  token = token.replace(/:\d+(?::\d+)?$/, "");
  return token;
}

function isPathLike(token: string): boolean {
  if (HARMLESS_DEVICES.has(token)) return false;
  if (token === "..") return true;
  if (/^(\/|\.\/|\.\.\/|~\/)/.test(token)) return /[A-Za-z0-9_.~-]/.test(token.slice(1)) || token.startsWith("..");
  if (token.includes("/")) return token.endsWith("/") || FILE_EXTENSION.test(token.slice(token.lastIndexOf("/")));
  return FILE_EXTENSION.test(token) && /^[\w.+-]+$/.test(token) && !/^\d/.test(token);
}

/** A path named in a task, made relative to the workspace root; `outside` when it leaves it lexically. */
export interface NormalisedPath {
  raw: string;
  /** Segments relative to the workspace root ([] = the root itself); empty when `outside`. */
  segments: string[];
  outside: boolean;
}

/**
 * Lexical normalisation against the workspace root: `/workspace/...` and relative paths are inside as long as `..`
 * never climbs above the root; any other absolute path and `~` paths are outside. Compares whole segments, never
 * string prefixes (`/workspace-evil` is outside).
 */
export function normalisePath(raw: string): NormalisedPath {
  let rest: string;
  if (raw === CONTAINER_WORKSPACE || raw.startsWith(`${CONTAINER_WORKSPACE}/`)) {
    rest = raw.slice(CONTAINER_WORKSPACE.length);
  } else if (raw.startsWith("/") || raw.startsWith("~")) {
    return { raw, segments: [], outside: true };
  } else {
    rest = raw;
  }
  const segments: string[] = [];
  for (const segment of rest.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return { raw, segments: [], outside: true };
      segments.pop();
    } else segments.push(segment);
  }
  return { raw, segments, outside: false };
}
