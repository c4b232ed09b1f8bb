/** Where the workspace is mounted inside the run's container: absolute paths under it are inside. */
export const CONTAINER_WORKSPACE = "/workspace";

/**
 * Top-level directories of a Unix or macOS host (and of the container image): an absolute path under one of them
 * names a real file outside the workspace, with or without an extension (`/etc/passwd`, `/home/me/.bashrc`).
 */
const SYSTEM_DIRS = new Set([
  "etc",
  "root",
  "home",
  "usr",
  "var",
  "bin",
  "sbin",
  "lib",
  "lib32",
  "lib64",
  "libx32",
  "opt",
  "boot",
  "srv",
  "sys",
  "mnt",
  "media",
  "run",
  "snap",
  "nix",
  "Users",
  "Library",
  "System",
  "Applications",
  "Volumes",
  "private",
]);

/**
 * The sandbox's own devices, kernel views and scratch space: `/dev/urandom`, `/proc/self/status`, `/tmp/out`. They
 * are the container's, not the developer's, and not the workspace's either, so naming them is no escape.
 */
const SANDBOX_OWN_DIRS = new Set(["dev", "proc", "tmp"]);

/**
 * Words before a URL path: an HTTP method (`GET /users/list.json`), an attribute (`src="/js/app.js"`) or a client
 * call (`fetch("/data.json")`, `axios.get('/users.json')`, `app.post('/upload.json', ...)`).
 */
const HTTP_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
/** Matched against the last characters of the previous word only, so its length never matters. */
const URL_WORDS = /(?:^|[^A-Za-z])(?:src|href|action|url|fetch|get|post|put|patch|delete|request)$/i;

/** A file extension at the end of a name: a dot, a letter, then up to 9 letters, digits, `_` or `-`. */
const EXTENSION = /\.[A-Za-z][A-Za-z0-9_-]{0,9}$/;

/** Characters that separate words in prose and shell commands; quotes, brackets and `=` end a token too. */
const SEPARATORS = new Set([..." \t\n\r\f\v\"'`()[]{}<>|;&,="]);

/** Trailing sentence punctuation (dots are handled apart: `..` is a path). */
const TRAILING_PUNCTUATION = new Set([",", ";", ":", "!", "?"]);

/** How a token names a file, which decides how it is checked (see path-check.ts). */
type PathKind =
  /** `..`, `./x`, `../x`, `~/x`, `~user/x`: surely a path, always checked. */
  | "explicit"
  /** `/workspace/...`, a system directory, or an absolute path to a file with an extension: always checked. */
  | "absolute"
  /** `docs/a.md`, `etc-link/passwd`, `and/or`: checked for escapes; missing, a warning only when it starts in the tree. */
  | "relative"
  /** `package.json`, `.env`: checked only when it exists in the tree (a symlink there may point out). */
  | "bare";

/** A path candidate of a task. */
export interface PathCandidate {
  path: string;
  kind: PathKind;
}

/** A word of a task with the word before it, for the URL-path exceptions. */
interface Word {
  text: string;
  previous: string;
}

/**
 * Candidate file paths named in a task, in order of appearance and without duplicates. A token counts when it
 * really names a file (see {@link PathKind}); URLs, route patterns (`/api/users/:id`), HTML tags (`</div>`), regex
 * literals (`/^a+$/`), sed expressions (`s/foo/bar/`), dates (`2024/01/02`), `--flag` and `$VAR` tokens, the
 * sandbox's own `/dev`, `/proc` and `/tmp`, and absolute paths that are neither files nor under a system
 * directory (`/api/users`) do not. Linear in the task's length: one pass over its characters, no backtracking.
 */
export function extractPaths(task: string): PathCandidate[] {
  const found: PathCandidate[] = [];
  const seen = new Set<string>();
  for (const word of words(task)) {
    const token = cleanToken(word.text);
    if (!token || seen.has(token)) continue;
    seen.add(token);
    const kind = pathKind(token, word);
    if (kind) found.push({ path: token, kind });
  }
  return found;
}

/** Splits a task at {@link SEPARATORS} in one pass, remembering each word's predecessor. */
function* words(task: string): Generator<Word> {
  let start = -1;
  let previous = "";
  for (let i = 0; i <= task.length; i++) {
    const c = task[i];
    if (c !== undefined && !SEPARATORS.has(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      const text = task.slice(start, i);
      yield { text, previous };
      previous = text;
      start = -1;
    }
  }
}

/**
 * A word without what surrounds a path in prose: trailing sentence punctuation (but a segment made of dots, `..` or
 * `src/..`, stays), and a `:line` or `:line:col` suffix. URLs, flags, `@scope/name` and `$VAR` words give "".
 */
function cleanToken(raw: string): string {
  if (raw.includes("://") || raw.startsWith("-") || raw.startsWith("@") || raw.startsWith("$")) return "";
  let end = raw.length;
  while (end > 0) {
    const c = raw[end - 1] as string;
    if (TRAILING_PUNCTUATION.has(c)) {
      end--;
    } else if (c === ".") {
      let dots = end - 1;
      while (dots > 0 && raw[dots - 1] === ".") dots--;
      // `..`, `src/..`: dots that make a whole segment are the path itself, not a full stop.
      if (dots === 0 || raw[dots - 1] === "/") break;
      end = dots;
    } else break;
  }
  // src/a.ts:12 or src/a.ts:12:5 (compiler and grep output).
  for (let n = 0; n < 2; n++) {
    let digits = end;
    while (digits > 0 && isDigit(raw[digits - 1])) digits--;
    if (digits === end || digits < 2 || raw[digits - 1] !== ":") break;
    end = digits - 1;
  }
  return raw.slice(0, end);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function pathKind(token: string, word: Word): PathKind | undefined {
  if (isExplicit(token)) return "explicit";
  if (token.startsWith("/")) return isAbsoluteFile(token, word) ? "absolute" : undefined;
  if (token.includes("/")) return isDateOrRatio(token) || isSedExpression(token) ? undefined : "relative";
  return looksLikeFileName(token) ? "bare" : undefined;
}

/** `..`, `./x`, `../x`, `~/x` and `~user/x`. */
function isExplicit(token: string): boolean {
  if (token === ".." || token.startsWith("./") || token.startsWith("../") || token.startsWith("~/")) return true;
  const slash = token.indexOf("/");
  return token.startsWith("~") && slash > 1 && /^~[A-Za-z_][A-Za-z0-9_.-]*$/.test(token.slice(0, slash));
}

/**
 * An absolute path that names a file: under the workspace mount or a system directory, or one with a directory
 * and a file extension (`/srv2/app/main.py`, `/workspace-evil/a.ts`). Not the sandbox's own `/dev`, `/proc`,
 * `/tmp`, not a route pattern (`:id`, `*`, `?`, `#`, `%`), and not a URL path after an HTTP method or a
 * `src=`/`href=`-like word.
 */
function isAbsoluteFile(token: string, word: Word): boolean {
  if (token === CONTAINER_WORKSPACE || token.startsWith(`${CONTAINER_WORKSPACE}/`)) return true;
  const segments = token.split("/").filter((s) => s !== "");
  const first = segments[0];
  if (first === undefined || SANDBOX_OWN_DIRS.has(first)) return false;
  if (SYSTEM_DIRS.has(first)) return true;
  if (segments.length < 2 || !EXTENSION.test(segments[segments.length - 1] as string)) return false;
  if (/[:*?#%]/.test(token)) return false;
  return !HTTP_METHODS.has(word.previous) && !URL_WORDS.test(word.previous.slice(-8));
}

/** `2024/01/02`, `1/2`, `24/7`: digits and slashes only. */
function isDateOrRatio(token: string): boolean {
  for (const c of token) if (c !== "/" && !isDigit(c)) return false;
  return true;
}

/** `s/foo/bar/`, `s/a\/b/c/g`, `y/abc/xyz/`: three unescaped slashes, then only flags. */
function isSedExpression(token: string): boolean {
  if (!(token.startsWith("s/") || token.startsWith("y/"))) return false;
  let slashes = 0;
  let last = -1;
  for (let i = 1; i < token.length; i++) {
    if (token[i] === "\\") i++;
    else if (token[i] === "/") {
      slashes++;
      last = i;
    }
  }
  return slashes === 3 && /^[gimpeIM0-9]*$/.test(token.slice(last + 1));
}

/** `package.json`, `README.md`, `.env`: a name of file characters with an extension, or a dotfile. */
function looksLikeFileName(token: string): boolean {
  if (!/^[\w.+-]+$/.test(token) || isDigit(token[0])) return false;
  return EXTENSION.test(token) || /^\.[A-Za-z]/.test(token);
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
