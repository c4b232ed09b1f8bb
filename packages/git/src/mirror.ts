import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PanCodeError } from "@pancode/core/errors";
import { BUNDLE_REF_PREFIX } from "./bundle.js";
import { type GitTarget, git, gitBytes } from "./git-runner.js";

/**
 * Where git runs on a mirror: the worker created it, so it trusts that one directory even when the cache volume
 * belongs to another user (a scoped `safe.directory`, never `*`).
 */
export function mirrorTarget(dir: string): GitTarget {
  return { cwd: dir, safeDirectory: dir };
}

/** True when `dir` holds an initialised bare repository. */
export async function mirrorExists(dir: string): Promise<boolean> {
  return stat(join(dir, "HEAD")).then(
    () => true,
    () => false,
  );
}

/**
 * Creates the bare mirror at `dir` unless it exists. It is initialised under a temporary name and renamed into
 * place, so a crash never leaves a half-made mirror that later calls would trust.
 */
export async function ensureMirror(dir: string): Promise<void> {
  if (await mirrorExists(dir)) return;
  await mkdir(dirname(dir), { recursive: true });
  const staging = `${dir}.init-${randomBytes(4).toString("hex")}`;
  try {
    await git({ cwd: dirname(dir) }, ["init", "--quiet", "--bare", staging]);
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Verifies the bundle against the mirror (format and prerequisites) and fetches each of its refs into
 * `refs/pancode/bundles/<commit>`, so every imported commit stays reachable. Caller holds the repo lock.
 */
export async function fetchBundle(mirror: GitTarget, repoId: string, bundle: Buffer | string): Promise<string[]> {
  const { file, cleanup } = await bundleFile(bundle);
  try {
    const verify = await gitBytes(mirror, ["bundle", "verify", "--quiet", file], { okExitCodes: [0, 1, 128] });
    if (verify.exitCode !== 0) {
      throw new PanCodeError("GIT_FAILED", `invalid git bundle for repo ${repoId}: ${verify.stderr.trim()}`);
    }
    const heads = parseHeads(await git(mirror, ["bundle", "list-heads", file]));
    if (heads.size === 0) throw new PanCodeError("GIT_FAILED", `git bundle for repo ${repoId} has no refs`);
    const refspecs = [...heads].map(([commit, ref]) => `+${ref}:${BUNDLE_REF_PREFIX}${commit}`);
    await git(mirror, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-gc", file, ...refspecs]);
    return [...heads.keys()];
  } finally {
    await cleanup();
  }
}

/** `<commit> <ref>` lines -> commit -> one ref naming it (peeled tags and duplicates collapse). */
function parseHeads(listing: string): Map<string, string> {
  const heads = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const [commit, ref] = line.trim().split(/\s+/, 2);
    if (commit && ref && !ref.endsWith("^{}") && !heads.has(commit)) heads.set(commit, ref);
  }
  return heads;
}

async function bundleFile(bundle: Buffer | string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  // git runs inside the mirror, so a relative path must be resolved against our cwd first.
  if (typeof bundle === "string") return { file: resolve(bundle), cleanup: async () => {} };
  const dir = join(tmpdir(), `pancode-import-${randomBytes(6).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, "import.bundle");
  await writeFile(file, bundle);
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
