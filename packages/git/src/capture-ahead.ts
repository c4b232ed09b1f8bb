import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GIT_CONFIG, gitEnv } from "./git-env.js";
import { diffIndexArgs } from "./tree-diff.js";

/** A working state captured before `git rev-parse` has said where the checkout is (see seed-ahead.ts). */
export interface CapturedAhead {
  /** HEAD as the capture read it, to be checked against the checkout's. */
  baseCommit: string;
  baseTree: string;
  stateTree: string;
  statePatch: Buffer;
}

/** POSIX single quotes: the text as one word, whatever it holds. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The whole capture as one shell chain: HEAD and its tree, the seeded index reset to HEAD (stat data kept), `add -A`,
 * `write-tree` and the patch from the index. Its git processes follow one another without waiting for Node, whose
 * thread is busy loading the dispatch's modules meanwhile. Prints the commit, the base tree and the state tree, a
 * line each, then the patch bytes.
 */
function captureScript(): string {
  const config = GIT_CONFIG.map((setting) => `-c ${shellQuote(setting)}`).join(" ");
  const diff = diffIndexArgs("PLACEHOLDER").slice(0, -1).map(shellQuote).join(" ");
  return [
    "set -e",
    `g() { git ${config} "$@"; }`,
    `commit=$(g rev-parse --verify --quiet 'HEAD^{commit}')`,
    `tree=$(g rev-parse --verify --quiet "$commit^{tree}")`,
    `g read-tree --reset "$commit"`,
    "g add -A",
    `printf '%s\\n%s\\n' "$commit" "$tree"`,
    "g write-tree",
    `g ${diff} "$tree"`,
  ].join("\n");
}

const HEX_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The three id lines and the patch after them, or undefined when the output is not that. */
function parseCapture(stdout: Buffer): CapturedAhead | undefined {
  const ids: string[] = [];
  let offset = 0;
  for (let i = 0; i < 3; i++) {
    const end = stdout.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    ids.push(stdout.subarray(offset, end).toString("latin1"));
    offset = end + 1;
  }
  const [baseCommit = "", baseTree = "", stateTree = ""] = ids;
  if (![baseCommit, baseTree, stateTree].every((id) => HEX_ID.test(id))) return undefined;
  return { baseCommit, baseTree, stateTree, statePatch: stdout.subarray(offset) };
}

/** Runs `script` with /bin/sh in `cwd`; its stdout when it exits 0, else undefined. */
function runShell(script: string, cwd: string, env: Record<string, string>): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "ignore"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? Buffer.concat(out) : undefined));
  });
}

/**
 * Captures the working state of the checkout whose top level is guessed to be `repoRoot` (index `seedIndex`) in a
 * throwaway index seeded from the checkout's own, removed afterwards. Undefined when anything fails: the snapshot
 * then takes its ordinary path, which says what is wrong. Blobs it writes land in that repository's object database,
 * as any capture's do.
 */
export async function captureAhead(repoRoot: string, seedIndex: string): Promise<CapturedAhead | undefined> {
  let dir: string | undefined;
  try {
    // Synchronous on purpose: the copy is done and the chain spawned before the caller spawns its rev-parse.
    dir = mkdtempSync(join(tmpdir(), "pancode-index-"));
    const indexFile = join(dir, "index");
    const seedStat = statSync(seedIndex);
    copyFileSync(seedIndex, indexFile);
    // Keep the original mtime: git's racy-clean check compares file mtimes with the index's own (see temp-index.ts).
    utimesSync(indexFile, seedStat.atime, seedStat.mtime);
    const stdout = await runShell(captureScript(), repoRoot, gitEnv({ GIT_INDEX_FILE: indexFile }));
    return stdout ? parseCapture(stdout) : undefined;
  } catch {
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
