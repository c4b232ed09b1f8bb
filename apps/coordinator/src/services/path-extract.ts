/** Where the workspace is mounted inside the run's container: absolute paths under it are inside. */
export const CONTAINER_WORKSPACE = "/workspace";

/** Absolute paths a task may name without leaving the workspace: the standard streams and sinks. */
const HARMLESS_DEVICES = new Set(["/dev/null", "/dev/zero", "/dev/stdin", "/dev/stdout", "/dev/stderr"]);

/** Extensions a bare file name (`package.json`) must have to be taken for a path rather than a word. */
const FILE_EXTENSION = /\.[A-Za-z][A-Za-z0-9_-]{0,9}$/;

/** Characters that separate words in prose and shell commands; quotes and brackets are stripped around a token. */
const SEPARATORS = /[\s"'`()[\]{}<>|;&,=]+/;

/** A path candidate of a task; `likely` ones are surely meant as paths, so a missing one is worth a warning. */
export interface PathCandidate {
  path: string;
  likely: boolean;
}

/**
 * Candidate file paths named in a task, in order of appearance and without duplicates. Unlike the seed (which only
 * looked at `./`, `../`, `/`, `src/`, `lib/` and `test/` prefixes), any token counts that is
 * - `..`, or starts with `/`, `./`, `../` or `~/` (explicit paths), or
 * - contains a `/` (`docs/a.md`, `etc-link/passwd`: a symlink may hide behind any directory name), or
 * - a bare name with a file extension that starts with a letter (`package.json`, `README.md`).
 * Explicit paths, bare names and slash paths ending in `/` or a file extension are `likely`; other slash tokens
 * (`and/or`) are checked for escapes only. URLs, `--flag` tokens (their `=value` is checked), `:line:col` suffixes,
 * trailing punctuation and the harmless devices (`/dev/null`, ...) are left out.
 */
export function extractPaths(task: string): PathCandidate[] {
  const found: PathCandidate[] = [];
  for (const raw of task.split(SEPARATORS)) {
    const token = cleanToken(raw);
    if (!token || found.some((c) => c.path === token)) continue;
    const kind = pathKind(token);
    if (kind) found.push({ path: token, likely: kind === "likely" });
  }
  return found;
}

function cleanToken(raw: string): string {
  let token = raw;
  if (token.includes("://") || token.startsWith("-") || token.startsWith("@") || token.startsWith("$")) return "";
  // A redirect such as 2>/dev/null was split at ">"; a leading digit-only token is then harmless.
  // Sentence punctuation, but not the dots of `..` itself.
  if (!/^[./]+$/.test(token)) token = token.replace(/[.,;:!?]+$/, "");
  // src/a.ts:12 or src/a.ts:12:5 (compiler and grep output).
  token = token.replace(/:\d+(?::\d+)?$/, "");
  return token;
}

function pathKind(token: string): "likely" | "possible" | undefined {
  if (HARMLESS_DEVICES.has(token)) return undefined;
  if (token === "..") return "likely";
  if (/^(\/|\.\/|\.\.\/|~\/)/.test(token)) {
    return /[A-Za-z0-9_.~-]/.test(token.slice(1)) || token.startsWith("..") ? "likely" : undefined;
  }
  if (token.includes("/")) {
    return token.endsWith("/") || FILE_EXTENSION.test(token.slice(token.lastIndexOf("/"))) ? "likely" : "possible";
  }
  return FILE_EXTENSION.test(token) && /^[\w.+-]+$/.test(token) && !/^\d/.test(token) ? "likely" : undefined;
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
