import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxRunSpec } from "../container-runtime.js";
import { isProcessAlive } from "../process-identity.js";
import { createProcessRuntime } from "./process-runtime.js";

async function isRunning(pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/\) Z /.test(stat);
}

describe("process runtime", () => {
  const runtime = createProcessRuntime({});
  let dir = "";
  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), "pancode-proc-")));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(argv: string[], over: Partial<SandboxRunSpec> = {}, signal = new AbortController().signal) {
    const spec: SandboxRunSpec = {
      runId: `proc-${randomUUID().slice(0, 8)}`,
      image: "unused",
      argv,
      env: { TASK_VAR: "t" },
      workspacePath: dir,
      readonly: false,
      limits: { memoryMb: 256, cpus: 1, pids: 128 },
      network: "none",
      ...over,
    };
    const out = { stdout: "", stderr: "" };
    const result = await runtime.run(spec, { onOutput: (s, t) => (out[s] += t) }, signal);
    return { result, out };
  }

  it("runs in the worktree with a minimal environment and reports the exit code", async () => {
    process.env.PANCODE_TEST_SECRET = "must-not-leak";
    try {
      const { result, out } = await run(["sh", "-c", 'pwd; echo "$TASK_VAR"; env; echo bad >&2; exit 4']);
      expect(result).toMatchObject({ exitCode: 4, aborted: false, oomKilled: false });
      const lines = out.stdout.split("\n");
      expect(lines.slice(0, 2)).toEqual([dir, "t"]);
      expect(out.stdout).not.toContain("must-not-leak");
      const names = lines
        .slice(2)
        .filter(Boolean)
        .map((l) => l.split("=")[0]);
      expect(
        names.filter((n) => !["PATH", "HOME", "LANG", "TASK_VAR", "PWD", "SHLVL", "_", "OLDPWD"].includes(n ?? "")),
      ).toEqual([]);
      expect(out.stderr).toBe("bad\n");
    } finally {
      delete process.env.PANCODE_TEST_SECRET;
    }
  });

  it("abort kills the whole process group promptly", async () => {
    const ac = new AbortController();
    let grandchild = 0;
    const pending = runtime.run(
      {
        runId: "proc-abort",
        image: "unused",
        argv: ["sh", "-c", "sleep 60 & echo $!; sleep 60"],
        env: {},
        workspacePath: dir,
        readonly: false,
        limits: { memoryMb: 256, cpus: 1, pids: 128 },
        network: "none",
      },
      {
        onOutput: (_s, t) => {
          grandchild = Number(t.trim());
          ac.abort();
        },
      },
      ac.signal,
    );
    const result = await pending;
    // Killed, not finished: the exit status is SIGTERM's.
    expect(result.aborted).toBe(true);
    expect(result.exitCode).toBe(128 + 15);
    expect(grandchild).toBeGreaterThan(0);
    // The orphaned grandchild is reaped by whatever adopts it, so allow a moment and count zombies as dead.
    await expect.poll(() => isRunning(grandchild), { timeout: 2_000 }).toBe(false);
  });

  it("refuses read-only specs and reports missing commands", async () => {
    await expect(run(["true"], { readonly: true })).rejects.toMatchObject({
      code: "SANDBOX_FAILED",
      message: "read-only agents need the docker sandbox",
    });
    await expect(run(["pancode-no-such-binary"])).rejects.toMatchObject({ code: "SANDBOX_FAILED" });
  });
});
