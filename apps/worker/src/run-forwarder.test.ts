import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { forwarderPrelude, forwarderWrapper } from "./run-forwarder.js";

// The shell around the forwarder, run by a real sh with a stand-in `node` first on PATH that records how it was
// started and marks itself ready, as the real forwarder does once it listens.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const PORTS = { "model.sock": 4100 };

async function sandbox() {
  const dir = await mkdtemp(join(tmpdir(), "pancode-forwarder-"));
  dirs.push(dir);
  const node = join(dir, "node");
  // argv: forward.mjs <socket dir> <ready file> <pairs...>
  await writeFile(node, `#!/bin/sh\necho "$*" >> "${dir}/starts"\n: > "$3"\n`);
  await chmod(node, 0o755);
  const env = { PATH: `${dir}:${process.env.PATH}`, HOME: dir };
  /** `args[0]` is the script's $0. */
  const sh = (script: string, args: string[] = []) =>
    promisify(execFile)("sh", ["-c", script, ...args], { env, timeout: 15_000 });
  const starts = async () => (await readFile(join(dir, "starts"), "utf8").catch(() => "")).trim().split("\n");
  return { sh, starts };
}

describe("the forwarder in front of an agent", () => {
  it("is started by the wrapper, which runs the agent's command once it listens", async () => {
    const box = await sandbox();
    const [, , script, name] = forwarderWrapper("/run/pancode", PORTS);
    const { stdout } = await box.sh(script as string, [name as string, "echo", "agent ran"]);
    expect(stdout).toBe("agent ran\n");
    expect(await box.starts()).toEqual([expect.stringContaining("/run/pancode")]);
    expect((await box.starts())[0]).toContain("4100=model.sock");
  });

  it("started ahead by a warm container's prelude, is not started again by the wrapper", async () => {
    const box = await sandbox();
    const [, , script] = forwarderWrapper("/run/pancode", PORTS);
    const prelude = forwarderPrelude("/run/pancode", { "model.sock": 4100, "coordinator.sock": 7400 });
    // As in a warm container: the prelude, then (in the same shell) the run's command, the wrapper.
    const quoted = (script as string).replaceAll("'", `'\\''`);
    const { stdout } = await box.sh(`${prelude}\nexec sh -c '${quoted}' pancode-net echo 'agent ran'`);
    expect(stdout).toBe("agent ran\n");
    const starts = await box.starts();
    expect(starts).toHaveLength(1);
    expect(starts[0]).toContain("4100=model.sock 7400=coordinator.sock");
  });
});
