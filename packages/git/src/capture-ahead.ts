import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CheckoutHead, HEAD_QUERY } from "./checkout-head.js";
import { GIT_CONFIG, gitEnv } from "./git-env.js";
import { DIFF_INDEX } from "./tree-diff.js";

/** A checkout and its working state, captured by one shell chain (see captureAhead). */
export interface CapturedAhead {
  head: CheckoutHead;
  stateTree: string;
  statePatch: Buffer;
}

/** POSIX single quotes: the text as one word, whatever it holds. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The whole capture as one shell chain, given the throwaway index's path as `$1`: the `rev-parse` that finds the
 * checkout and HEAD (readCheckoutHead's HEAD_QUERY), a copy of the checkout's index reset to HEAD (stat data
 * kept, mtime too: git's racy-clean check compares file mtimes with the index's own), `add -A`, `write-tree` and the
 * patch from the index. Prints rev-parse's five lines, the state tree, then the patch bytes.
 */
function captureScript(): string {
  const config = GIT_CONFIG.map((setting) => `-c ${shellQuote(setting)}`).join(" ");
  const words = (args: readonly string[]) => args.map(shellQuote).join(" ");
  return [
    "set -ef",
    `g() { git ${config} "$@"; }`,
    "temp=$1",
    // The index path is asked before GIT_INDEX_FILE points at the copy (rev-parse would name the copy).
    `head=$(g ${words(HEAD_QUERY)})`,
    `IFS='\n'`,
    "set -- $head",
    '[ "$#" -eq 5 ]',
    `cd "$1"`,
    `cp -p "$2" "$temp"`,
    "export GIT_INDEX_FILE=$temp",
    `g read-tree --reset "$4"`,
    "g add -A",
    `printf '%s\\n' "$head"`,
    "g write-tree",
    `g ${words(DIFF_INDEX)} "$5"`,
  ].join("\n");
}

const HEX_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The six lines and the patch after them, or undefined when the output is not that. */
function parseCapture(stdout: Buffer): CapturedAhead | undefined {
  const lines: string[] = [];
  let offset = 0;
  for (let i = 0; i < 6; i++) {
    const end = stdout.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    lines.push(stdout.subarray(offset, end).toString("utf8"));
    offset = end + 1;
  }
  const [repoRoot = "", indexPath = "", commonDir = "", baseCommit = "", headTree = "", stateTree = ""] = lines;
  if (![baseCommit, headTree, stateTree].every((id) => HEX_ID.test(id))) return undefined;
  if (![repoRoot, indexPath, commonDir].every((path) => path.startsWith("/"))) return undefined;
  return {
    head: { repoRoot, indexPath, commonDir, baseCommit, headTree },
    stateTree,
    statePatch: stdout.subarray(offset),
  };
}

/** Runs `script` with /bin/sh in `cwd`; its stdout when it exits 0, else undefined. */
function runShell(script: string, args: string[], cwd: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", script, "pancode-capture", ...args], {
      cwd,
      env: gitEnv(),
      stdio: ["ignore", "pipe", "ignore"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? Buffer.concat(out) : undefined));
  });
}

/**
 * Captures the checkout containing `checkout` and its working state in one process: its git steps follow one another
 * without waiting for Node, whose thread is busy loading the dispatch's modules meanwhile, and Node pays for one
 * spawn instead of several. The throwaway index lives in a private temp dir, removed afterwards. Undefined when
 * anything fails (not a checkout, no commit, a git older than 2.31, ...): the snapshot then takes its ordinary
 * path, which says exactly what is wrong.
 */
export async function captureAhead(checkout: string): Promise<CapturedAhead | undefined> {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), "pancode-index-"));
    const stdout = await runShell(captureScript(), [join(dir, "index")], checkout);
    return stdout ? parseCapture(stdout) : undefined;
  } catch {
    return undefined;
  } finally {
    // Not awaited: the removal runs on libuv's threads while the dispatch goes on (a synchronous one cost ms here).
    if (dir) rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
