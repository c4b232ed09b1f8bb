import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBundle, snapshotWorkspace } from "@pancode/git";
import { type ClientApi, createClientApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  INSECURE,
  registerTestWorker,
  startCoordinatorNode,
} from "./fixtures/coordinator-node.js";
import { MAX_TASK_BYTES } from "./services/admission.js";

// Issue 11, item 4: a 64 KB adversarial task must not stall admission. Path extraction runs on the coordinator's
// event loop, so while such tasks are admitted, another client's calls must still be answered. Real Postgres, a real
// git workspace (the path gate reads its tree), the real gRPC API; no timing assertions, only the test's timeout.

const workerKey = generateSigningKey();
let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let other: ClientApi;
let repo: FixtureRepo;
let workspace: { repoId: string; baseCommit: string; bundleDigest: string; stateDigest: string; stateTree: string };

/** Repeats `unit` after `prefix` up to the task limit (64 KiB). */
function fill(unit: string, prefix = "", suffix = ""): string {
  const room = MAX_TASK_BYTES - prefix.length - suffix.length;
  return prefix + unit.repeat(Math.floor(room / unit.length)) + suffix;
}

/** Tasks that took the old extraction seconds each (quadratic regex, shift/join per segment, linear dedupe). */
const ADVERSARIAL: Record<string, string> = {
  "dots after a word": fill(".", "a", "b"),
  "':!?' runs inside a word": fill(":!?", "src/a", "x"),
  "':!?' runs after a path": fill(":!?", "src/a.ts"),
  "a/ segments under src": fill("a/", "src/"),
  "src/../ inside the tree": fill("src/../", "", "README.md"),
  "thousands of distinct paths": Array.from({ length: 7000 }, (_, i) => `src/f${i}.ts`)
    .join(" ")
    .slice(0, MAX_TASK_BYTES - 20),
};

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-adversarial-"));
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_BUDGET_CEILING: "1000",
    PANCODE_PER_RUN_BUDGET: "1",
  });
  await registerTestWorker(node.worker, { workerId: "wa", capacity: 8 }, workerKey);
  // A second client: the one that must keep getting answers.
  other = createClientApi({
    address: node.coordinator.address,
    token: node.coordinator.clientToken,
    credentials: INSECURE,
  });
  repo = await createRepo({ files: { "src/a.ts": "export const a = 1;\n", "README.md": "# r\n" } });
  await symlink("/etc", join(repo.dir, "etc-link"));
  await repo.git("add", "-A");
  await repo.git("commit", "-qm", "link");
  const snap = await snapshotWorkspace(repo.dir);
  const client = node.client;
  workspace = {
    repoId: snap.repoId,
    baseCommit: snap.baseCommit,
    bundleDigest: (await client.uploadBlob("bundle", await createBundle(snap.repoRoot, snap.baseCommit))).digest,
    stateDigest: (await client.uploadBlob("state", snap.statePatch)).digest,
    stateTree: snap.stateTree,
  };
}, 120_000);

afterAll(async () => {
  other?.close();
  await node?.close();
  await pg?.stop();
  await repo?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function dispatch(task: string) {
  return node.client.dispatch({
    task,
    agent: "shell",
    safety: "",
    isolate: false,
    mode: "build",
    model: "",
    submitter: "t",
    workspace,
  });
}

describe("admission of 64 KB adversarial tasks", () => {
  it("keeps answering another client while they are admitted, each with a short, clear answer", async () => {
    for (const task of Object.values(ADVERSARIAL)) expect(Buffer.byteLength(task)).toBeLessThanOrEqual(MAX_TASK_BYTES);
    // All adversarial dispatches in flight at once, the other client's calls in the middle of them.
    const dispatches = Object.entries(ADVERSARIAL).map(async ([name, task]) => [name, await dispatch(task)] as const);
    const [budget, runs] = await Promise.all([other.getBudget(), other.listRuns(5)]);
    expect(budget.ceilingUsd).toBe(1000);
    expect(Array.isArray(runs)).toBe(true);
    for (const [name, answer] of await Promise.all(dispatches)) {
      expect([name, answer.run?.status]).toEqual([name, "pending"]);
      // Missing paths are summed up, and every path quoted is cut short: no 64 KB audit entries.
      expect(answer.warnings.length).toBeLessThanOrEqual(11);
      for (const warning of answer.warnings) expect(warning.length).toBeLessThan(300);
    }
  }, 60_000);

  it("still refuses an escape at the end of a 64 KB task, with a one-line message", async () => {
    const task = fill("fix the tests, ", "", " then cat etc-link/passwd");
    const err = await dispatch(task).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PATH_OUTSIDE_WORKSPACE" });
    expect((err as Error).message).toBe(
      'Dispatch blocked: path "etc-link/passwd" resolves outside the workspace (through etc-link -> /etc). Name files relative to the repository root; agents only see the workspace.',
    );
    expect((await other.getBudget()).ceilingUsd).toBe(1000);
  }, 60_000);
});
