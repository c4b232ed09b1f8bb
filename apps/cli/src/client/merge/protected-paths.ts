import type { HeldEntry, PatchReview } from "@pancode/git";

/**
 * Paths whose change steers later runs, the developer's tools or CI rather than the code: agent definitions,
 * git attributes and submodules, CI workflows, git hooks, direnv, editor tasks. A pattern with a `/` is anchored at
 * the repository root; one without matches that name in any directory (as in .gitignore); `dir/**` covers the
 * directory itself and everything under it. Matching ignores case (a case-insensitive file system would).
 */
const DEFAULT_PROTECTED_PATHS: readonly string[] = [
  ".pancode/**",
  ".gitmodules",
  ".gitattributes",
  ".github/workflows/**",
  ".gitlab-ci.yml",
  ".husky/**",
  ".githooks/**",
  ".envrc",
  ".vscode/**",
  ".idea/**",
];

/**
 * The protected patterns: the defaults plus the developer's own (`PANCODE_PROTECTED_PATHS`, comma-separated).
 * Nothing can remove a default, and nothing in the repository is consulted.
 */
export function protectedPatterns(extra: string | undefined): string[] {
  const added = (extra ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  return [...DEFAULT_PROTECTED_PATHS, ...added];
}

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

/** A glob (`*` within a name, `**` across directories, `?` one character) as an anchored, case-insensitive regex. */
export function globToRegex(pattern: string): RegExp {
  const trimmed = pattern.replace(/^\/+/, "");
  const anchored = trimmed.includes("/");
  let body = "";
  for (let i = 0; i < trimmed.length; i += 1) {
    const c = trimmed.charAt(i);
    if (c === "*" && trimmed.charAt(i + 1) === "*") {
      const slash = trimmed.charAt(i + 2) === "/";
      body += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") body += "[^/]*";
    else if (c === "?") body += "[^/]";
    else body += escapeRegex(c);
  }
  // `dir/**` also names `dir` itself (a file or symlink standing where the protected directory would be).
  body = body.replace(/\/\.\*$/, "(?:/.*)?");
  return new RegExp(`^${anchored ? "" : "(?:.*/)?"}${body}$`, "i");
}

/** The directories a pattern reaches through (`.github` and `.github/workflows` for `.github/workflows/**`). */
function literalAncestors(pattern: string): string[] {
  const parts = pattern.replace(/^\/+/, "").split("/");
  const ancestors: string[] = [];
  for (let i = 1; i < parts.length; i += 1) {
    const prefix = parts.slice(0, i);
    if (prefix.some((p) => /[*?]/.test(p))) break;
    ancestors.push(prefix.join("/").toLowerCase());
  }
  return ancestors;
}

/**
 * The entries of a patch that need the developer's explicit consent (`pancode apply --accept-protected`), each
 * with its reason: a protected path added, changed, deleted or renamed (either side), a symlink standing where a
 * protected directory would be (`.github -> elsewhere`), a symlink that leaves the repository, and a git
 * repository's `HEAD` (with `objects/`, `refs/` and `config` beside it, git run in that directory would take it
 * for a bare repository and obey its config, `core.fsmonitor` included).
 */
export function findProtected(review: PatchReview, patterns: readonly string[]): HeldEntry[] {
  const compiled = patterns.map((pattern) => ({ pattern, regex: globToRegex(pattern) }));
  const held = new Map<string, string>();
  for (const file of review.files) {
    for (const path of [file.path, file.oldPath].filter((p): p is string => Boolean(p))) {
      const hit = compiled.find((c) => c.regex.test(path));
      if (hit && !held.has(path)) held.set(path, `protected path (matches ${hit.pattern})`);
    }
  }
  for (const file of review.files) {
    if (file.status !== "deleted" && /(^|\/)HEAD$/.test(file.path) && !held.has(file.path)) {
      held.set(file.path, "a git repository's HEAD: git run in its directory would obey that repository's config");
    }
  }
  for (const [path, target] of review.symlinks) {
    const hit = patterns.find((p) => literalAncestors(p).includes(path.toLowerCase()));
    if (hit && !held.has(path)) held.set(path, `symlink to ${target} in place of a protected directory (${hit})`);
  }
  for (const link of review.escapingSymlinks) held.set(link.path, link.reason);
  return [...held].map(([path, reason]) => ({ path, reason })).sort((a, b) => a.path.localeCompare(b.path));
}
