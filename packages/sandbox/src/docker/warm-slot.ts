import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, constants, mkdir, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/** Where a warm container sees its slot's control directory (read-only): the start signal and the run's script. */
export const WARM_CONTROL_DIR = "/run/pancode-start";
const GO_FIFO = "go";
const RUN_SCRIPT = "run.sh";

/**
 * The command a warm container waits in: the profile's prelude (if any, see `SandboxRunSpec.warmPrelude`), then
 * blocked (no polling) opening the slot's FIFO until the worker claims it for a run, then it sources the run's
 * script, which exports the run's environment and execs its command. The container's init stays PID 1, and the
 * exit code is the command's own.
 */
export function warmWaitArgv(prelude = ""): string[] {
  const wait = `read -r _ < ${WARM_CONTROL_DIR}/${GO_FIFO} && . ${WARM_CONTROL_DIR}/${RUN_SCRIPT}`;
  return ["sh", "-c", prelude ? `${prelude}\n${wait}` : wait];
}

/** The host directories of one warm container: what it mounts before any run exists. */
export interface WarmSlot {
  dir: string;
  /** Mounted at the workspace; the run's worktree entries are moved in at claim and back after the run. */
  workspace: string;
  /** Mounted read-only at {@link WARM_CONTROL_DIR}. */
  control: string;
  /** One empty directory per per-run mount of the profile (e.g. the run's socket dir), in the profile's order. */
  runMounts: string[];
}

/** Creates a slot's directories under `root`, owned so the sandbox user can use the writable workspace. */
export async function createSlot(
  root: string,
  runMountCount: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<WarmSlot> {
  const dir = join(root, randomBytes(6).toString("hex"));
  const slot: WarmSlot = {
    dir,
    workspace: join(dir, "workspace"),
    control: join(dir, "control"),
    runMounts: Array.from({ length: runMountCount }, (_, i) => join(dir, `mount-${i}`)),
  };
  for (const d of [slot.workspace, slot.control, ...slot.runMounts]) {
    await mkdir(d, { recursive: true, mode: 0o755 });
    await chmod(d, 0o755);
  }
  if (owner) await chown(slot.workspace, owner.uid, owner.gid);
  await promisify(execFile)("mkfifo", ["-m", "0644", join(slot.control, GO_FIFO)]);
  return slot;
}

/** Deletes a slot's directories (after its container is gone). */
export async function removeSlot(slot: WarmSlot): Promise<void> {
  await rm(slot.dir, { recursive: true, force: true });
}

/**
 * Moves every entry of `from` into `to` (renames: same file system, nothing copied) and returns how to move every
 * entry of `to` back, the run's new files included. A bind mount of a started container is pinned to its
 * directory, so a run's files go into the directory the container already mounts instead.
 */
export async function moveEntries(from: string, to: string): Promise<() => Promise<void>> {
  const back = async () => {
    for (const name of await readdir(to)) await rename(join(to, name), join(from, name));
  };
  try {
    for (const name of await readdir(from)) await rename(join(from, name), join(to, name));
  } catch (err) {
    await back();
    throw err;
  }
  return back;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `env` can be exported by a POSIX shell script (every name a shell identifier). */
export function isScriptableEnv(env: Record<string, string>): boolean {
  return Object.keys(env).every((name) => ENV_NAME.test(name));
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The script a claimed warm container sources: the run's environment, then its command in place of the shell. */
export function runScript(argv: readonly string[], env: Record<string, string>): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [...exports, `exec ${argv.map(quote).join(" ")}`, ""].join("\n");
}

/**
 * Writes the run's script into the slot and releases the waiting container. Throws when no one waits on the FIFO
 * (ENXIO: the warm container died), so the caller can fall back to a fresh container.
 */
export async function releaseSlot(
  slot: WarmSlot,
  script: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  const path = join(slot.control, RUN_SCRIPT);
  await writeFile(path, script, { mode: 0o600 });
  // Readable by the sandbox user only (it holds the run's tokens), like the environment of a cold container.
  if (owner) await chown(path, owner.uid, owner.gid);
  const fifo = await openWaitingFifo(join(slot.control, GO_FIFO));
  try {
    await fifo.write("go\n");
  } finally {
    await fifo.close();
  }
}

/** How long a release waits for a just-started warm container's shell to reach its FIFO. */
const FIFO_READER_WAIT_MS = 1_000;

/**
 * Opens the FIFO for writing without blocking: ENXIO means no reader yet. A container started a moment ago may still
 * be on its way to the FIFO, so ENXIO is retried briefly; after that the container counts as dead.
 */
async function openWaitingFifo(path: string) {
  const deadline = Date.now() + FIFO_READER_WAIT_MS;
  for (;;) {
    try {
      return await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENXIO" || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
