import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, SERVER_MAIN, stopProcess } from "@pancode/testing/cluster";
import { findOnPath } from "@pancode/testing/find-on-path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Three hosts in network namespaces this test makes (never a Docker bridge, no address outside them): a client host
// wired to two coordinator hosts by veth pairs. The client is given both coordinators; cutting its link to the first
// (the partition) must leave it working through the second. The coordinators are told apart by their budget
// ceilings (each has its own embedded database).

const canRun = process.getuid?.() === 0 && findOnPath("ip") !== undefined;
const run = process.env.CI === "true" || canRun;

const tag = `pc${process.pid % 100000}`;
const ns = { client: `${tag}c`, a: `${tag}a`, b: `${tag}b` };
const links = {
  a: { client: `${tag}ca`, peer: `${tag}ac`, net: "10.77.1" },
  b: { client: `${tag}cb`, peer: `${tag}bc`, net: "10.77.2" },
};
const CLI_MAIN = join(REPO_ROOT, "apps/cli/dist/main.js");
const token = randomBytes(16).toString("hex");
const dirs: string[] = [];
const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

function inNs(name: string, ...args: string[]): void {
  ip("netns", "exec", name, ...args);
}

/** A veth pair from the client host to a coordinator host, `<net>.1` on the client side and `<net>.2` on the other. */
function wire(peerNs: string, link: { client: string; peer: string; net: string }): void {
  ip("link", "add", link.client, "netns", ns.client, "type", "veth", "peer", "name", link.peer, "netns", peerNs);
  inNs(ns.client, "ip", "addr", "add", `${link.net}.1/30`, "dev", link.client);
  inNs(ns.client, "ip", "link", "set", link.client, "up");
  inNs(peerNs, "ip", "addr", "add", `${link.net}.2/30`, "dev", link.peer);
  inNs(peerNs, "ip", "link", "set", link.peer, "up");
}

/** Starts `pancode-server coordinator` inside `name`, listening on `address`; resolves once it listens. */
async function coordinatorIn(name: string, address: string, ceiling: string): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "pancode-netns-"));
  dirs.push(dataDir);
  const child = spawn("ip", ["netns", "exec", name, process.execPath, SERVER_MAIN, "coordinator"], {
    env: {
      ...process.env,
      PANCODE_LISTEN: address,
      PANCODE_DATA_DIR: dataDir,
      PANCODE_TOKEN: token,
      // These links are the test's own wires: no certificate needed to tell the replicas apart.
      PANCODE_INSECURE_PLAINTEXT: "1",
      PANCODE_BUDGET_CEILING: ceiling,
      PANCODE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coordinator in ${name} did not start:\n${log}`)), 60_000);
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`coordinator in ${name} exited with ${code}:\n${log}`)));
  });
}

/** `pancode status --json` run on the client host with both coordinators listed; the budget ceiling it saw. */
async function statusFromClient(): Promise<{ code: number | null; ceiling?: number; stderr: string }> {
  const child = spawn("ip", ["netns", "exec", ns.client, process.execPath, CLI_MAIN, "status", "--json"], {
    env: {
      ...process.env,
      PANCODE_COORDINATOR: `${links.a.net}.2:7400,${links.b.net}.2:7400`,
      PANCODE_TOKEN: token,
      PANCODE_CONTEXT: "",
      PANCODE_DATA_DIR: join(dirs[0] ?? tmpdir(), ".no-local-cluster"),
      XDG_CONFIG_HOME: join(dirs[0] ?? tmpdir(), ".no-config-home"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const ceiling = code === 0 ? (JSON.parse(stdout) as { budget: { ceilingUsd: number } }).budget.ceilingUsd : undefined;
  return { code, ceiling, stderr };
}

describe.runIf(run)("a client partitioned from its coordinator (network namespaces)", () => {
  beforeAll(async () => {
    for (const name of Object.values(ns)) {
      ip("netns", "add", name);
      inNs(name, "ip", "link", "set", "lo", "up");
    }
    wire(ns.a, links.a);
    wire(ns.b, links.b);
    await coordinatorIn(ns.a, `${links.a.net}.2:7400`, "11");
    await coordinatorIn(ns.b, `${links.b.net}.2:7400`, "22");
  });

  afterAll(async () => {
    for (const child of children) await stopProcess(child, 5000);
    // Deleting a namespace deletes its ends of the veth pairs, and so the pairs.
    for (const name of Object.values(ns)) {
      try {
        ip("netns", "del", name);
      } catch (_err) {
        // Not made (an earlier step failed): nothing to remove.
      }
    }
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("talks to the first coordinator of its list, and to the second once the first is cut off", async () => {
    const before = await statusFromClient();
    expect(before).toMatchObject({ code: 0, ceiling: 11 });
    // The partition: the client host's link to coordinator A goes down; A itself keeps running.
    inNs(ns.client, "ip", "link", "set", links.a.client, "down");
    const after = await statusFromClient();
    expect(after).toMatchObject({ code: 0, ceiling: 22 });
    expect(children[0]?.exitCode).toBeNull();
  });
});
