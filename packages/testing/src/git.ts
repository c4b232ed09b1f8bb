/**
 * Git fixtures for tests: throwaway repositories in tmp dirs, built with the real git binary at test time (never
 * committed as `.git` directories), plus byte-exact snapshots of a directory's files for comparisons.
 *
 * ```ts
 * const repo = await createRepo({ files: { "README.md": "hi\n", "bin/tool": Buffer.from([0, 1, 2]) } });
 * await writeFiles(repo.dir, { "src/a.ts": "export {};\n" });
 * expect(await readTree(repo.dir)).toEqual(await readTree(otherDir));
 * await repo.cleanup();
 * ```
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** File contents by repo-relative path (forward slashes); strings are written as UTF-8. */
export type FileMap = Record<string, string | Buffer>;

/** A fixture repository in a tmp dir. */
export interface FixtureRepo {
  /** Absolute path of the checkout root. */
  dir: string;
  /** Runs `git <args>` in the checkout with a fixed test identity; resolves with stdout (trimmed). */
  git(...args: string[]): Promise<string>;
  /** Deletes the tmp dir. */
  cleanup(): Promise<void>;
}

/** Options of {@link createRepo}. */
export interface CreateRepoOptions {
  /** Files of the initial commit. With no files, the repository has no commit at all. @default {} */
  files?: FileMap;
  /** Default branch name. @default "main" */
  branch?: string;
}

const FIXED_ENV = {
  GIT_AUTHOR_NAME: "fixture",
  GIT_AUTHOR_EMAIL: "fixture@localhost",
  GIT_COMMITTER_NAME: "fixture",
  GIT_COMMITTER_EMAIL: "fixture@localhost",
  GIT_AUTHOR_DATE: "1700000000 +0000",
  GIT_COMMITTER_DATE: "1700000000 +0000",
};

/** Runs git in `cwd` (safe.directory=*, fixed identity, no user config) and resolves with trimmed stdout. */
export function runGit(cwd: string, args: readonly string[]): Promise<string> {
  const env = { ...process.env, ...FIXED_ENV, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["-c", "safe.directory=*", ...args],
      { cwd, env, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(" ")} failed in ${cwd}: ${stderr || err.message}`, { cause: err }));
        else resolve(stdout.trim());
      },
    );
  });
}

/** A fresh empty tmp dir whose name starts with `pancode-<prefix>-`. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `pancode-${prefix}-`));
}

/**
 * Creates a repository in a tmp dir with `files` committed as the initial commit ("initial"). Pass no files to get
 * a repository without any commit.
 */
export async function createRepo(options: CreateRepoOptions = {}): Promise<FixtureRepo> {
  const dir = await makeTempDir("repo");
  const git = (...args: string[]) => runGit(dir, args);
  await git("init", "--quiet", `--initial-branch=${options.branch ?? "main"}`);
  const files = options.files ?? {};
  if (Object.keys(files).length > 0) {
    await writeFiles(dir, files);
    await git("add", "-A");
    await git("commit", "--quiet", "-m", "initial");
  }
  return { dir, git, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes every file of `files` under `dir`, creating parent directories. */
export async function writeFiles(dir: string, files: FileMap): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/**
 * Every file under `dir` except `.git`, as path -> `sha256:<hex>` of its bytes (symlinks: of `symlink:<target>`).
 * Equal maps mean byte-identical trees.
 */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await walk(dir)) {
    const data = entry.symlink ? Buffer.from(`symlink:${await readlink(entry.full)}`) : await readFile(entry.full);
    out.set(entry.path, `sha256:${createHash("sha256").update(data).digest("hex")}`);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Every file under `dir` except `.git`, as path -> git-style mode: "100644", "100755" or "120000" (symlink). */
export async function readModes(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await walk(dir)) {
    out.set(entry.path, entry.symlink ? "120000" : entry.mode & 0o111 ? "100755" : "100644");
  }
  return out;
}

interface WalkEntry {
  path: string;
  full: string;
  mode: number;
  symlink: boolean;
}

async function walk(root: string, rel = ""): Promise<WalkEntry[]> {
  const entries: WalkEntry[] = [];
  for (const name of await readdir(join(root, rel))) {
    if (rel === "" && name === ".git") continue;
    const path = rel === "" ? name : `${rel}/${name}`;
    const full = join(root, path);
    const info = await lstat(full);
    if (info.isDirectory()) entries.push(...(await walk(root, path)));
    else entries.push({ path, full, mode: info.mode, symlink: info.isSymbolicLink() });
  }
  return entries;
}
