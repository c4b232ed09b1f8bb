import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClientApi, createClientApi } from "@pancode/proto";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  INSECURE,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// People's tokens and team budgets through the real gRPC API on real Postgres. The cluster's ceiling of $1.00 with
// a per-run estimate of $0.07 admits 14 runs; team payments' ceiling of $0.50 admits 7 of them.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let admin: ClientApi;
const clients: ClientApi[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-teams-"));
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_DEFAULT_AGENT: "shell",
    PANCODE_BUDGET_CEILING: "1.00",
    PANCODE_PER_RUN_BUDGET: "0.07",
  });
  admin = node.client;
  await registerTestWorker(node.worker, { workerId: "wa", capacity: 2 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A client of the coordinator presenting `token`. */
function as(token: string): ClientApi {
  const client = createClientApi({ address: node.coordinator.address, token, credentials: INSECURE });
  clients.push(client);
  return client;
}

async function person(name: string, role: string, team = "", expiresInSeconds = 0): Promise<ClientApi> {
  const { token } = await admin.createToken({ name, role, team, expiresInSeconds });
  expect(token).toMatch(/^pct_[A-Za-z0-9_-]{43}$/);
  return as(token);
}

const dispatch = (client: ClientApi, ws: Awaited<ReturnType<typeof uploadedWorkspace>>) =>
  client.dispatch({
    task: "true",
    agent: "shell",
    isolate: false,
    mode: "build",
    model: "",
    submitter: "someone-else",
    safety: "full-auto",
    workspace: ws,
  });

describe("tokens", () => {
  it("the bootstrap client token is the admin; a new token is found by its hash with its role and team", async () => {
    expect(await admin.whoAmI()).toMatchObject({ name: "admin", role: "admin", team: "" });
    const alice = await person("alice", "member", "payments");
    expect(await alice.whoAmI()).toMatchObject({ name: "alice", role: "member", team: "payments" });
    const listed = await admin.listTokens();
    expect(listed.map((t) => t.name).sort()).toEqual(["admin", "alice"]);
    expect(JSON.stringify(listed)).not.toContain("pct_");
    await expect(
      admin.createToken({ name: "alice", role: "viewer", team: "", expiresInSeconds: 0 }),
    ).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(as("pct_not-a-token").whoAmI()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("refuses a role too weak for the method with one line naming the role, before the handler runs", async () => {
    const vic = await person("vic", "viewer", "web");
    await vic.getBudget();
    await expect(vic.setBudget(5)).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: "set budget needs role admin; you are vic (viewer)",
    });
    await expect(dispatch(vic, await uploadedWorkspace(admin))).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: "dispatch needs role member; you are vic (viewer)",
    });
    await expect(vic.uploadBlob("bundle", Buffer.from("x"))).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(vic.createToken({ name: "eve", role: "admin", team: "", expiresInSeconds: 0 })).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
    expect((await admin.listTokens()).map((t) => t.name)).not.toContain("eve");
  });

  it("a revoked token is refused on its very next call", async () => {
    const bob = await person("bob", "member");
    await bob.whoAmI();
    await admin.revokeToken("bob");
    await expect(bob.whoAmI()).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/^token "bob" was revoked on .*; ask an admin for a new one$/),
    });
  });

  it("an expired token is refused with the date it expired and what to do", async () => {
    const carol = await person("carol", "viewer", "", 1);
    const expiresAt = (await admin.listTokens()).find((t) => t.name === "carol")?.expiresAt ?? "";
    // Bounded wait for the second to pass; the assertion is on the refusal, not on timing.
    let refusal: unknown;
    for (let i = 0; i < 40 && !refusal; i++) {
      refusal = await carol.whoAmI().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (!refusal) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusal).toMatchObject({
      code: "UNAUTHENTICATED",
      message: `token "carol" expired on ${expiresAt}; ask an admin for a new one (pancode tokens create)`,
    });
  });
});

describe("team budgets", () => {
  it("50 concurrent dispatches of one team stop at its ceiling; the other team fills only the cluster's", async () => {
    await admin.setBudget(0.5, "", "payments");
    const pam = await person("pam", "member", "payments");
    const walt = await person("walt", "member", "web");
    const ws = await uploadedWorkspace(admin);

    const payments = await Promise.allSettled(Array.from({ length: 50 }, () => dispatch(pam, ws)));
    expect(payments.filter((r) => r.status === "fulfilled")).toHaveLength(7);
    for (const r of payments) {
      if (r.status === "rejected") {
        expect(r.reason).toMatchObject({
          code: "BUDGET_EXCEEDED",
          message: expect.stringMatching(/^Dispatch blocked: Budget ceiling of team payments would be exceeded \(/),
        });
      }
    }
    const team = await admin.getBudget("payments");
    expect(team).toMatchObject({ team: "payments", ceilingUsd: 0.5, reservedUsd: 0.49, runs: 7 });

    const web = await Promise.allSettled(Array.from({ length: 50 }, () => dispatch(walt, ws)));
    expect(web.filter((r) => r.status === "fulfilled")).toHaveLength(7);
    const cluster = await admin.getBudget();
    expect(cluster.reservedUsd).toBe(0.98);
    expect(cluster.reservedUsd + cluster.spentUsd).toBeLessThanOrEqual(cluster.ceilingUsd);

    // Identity comes from the token, not from the request's submitter.
    const mine = await pam.listRuns(100, { mine: true });
    expect(mine).toHaveLength(7);
    for (const r of mine) expect(r).toMatchObject({ user: "pam", team: "payments" });
    expect(await admin.listRuns(100, { team: "web" })).toHaveLength(7);
    const audit = await admin.listAudit({ category: "dispatch", limit: 1000 });
    expect(audit.filter((e) => e.action === "admitted" && e.actor === "pam")).toHaveLength(7);
    expect(audit.some((e) => e.actor === "someone-else")).toBe(false);
  });

  it("a member stops its own team's runs, not another team's; an admin stops anyone's", async () => {
    const pam2 = await person("pam2", "member", "payments");
    const [walts] = await admin.listRuns(1, { user: "walt" });
    const [pams] = await admin.listRuns(1, { user: "pam" });
    await expect(
      pam2.stopRun({ runId: walts?.id ?? "", batchId: "", chainId: "", submitter: "" }),
    ).rejects.toMatchObject({ code: "PERMISSION_DENIED", message: expect.stringContaining("needs role admin") });
    expect(await pam2.stopRun({ runId: pams?.id ?? "", batchId: "", chainId: "", submitter: "" })).toMatchObject({
      alreadyFinished: false,
    });
    expect(await admin.stopRun({ runId: walts?.id ?? "", batchId: "", chainId: "", submitter: "" })).toMatchObject({
      alreadyFinished: false,
    });
  });

  it("a run token's sub-run belongs to the parent's person and team; the audit names the run", async () => {
    await admin.setBudget(10);
    const rita = await person("rita", "member", "ops");
    const { run } = await dispatch(rita, await uploadedWorkspace(admin));
    const claim = await node.worker.claimRun({ runId: run?.id ?? "", workerId: "wa", deliveryCount: 1 });
    const runToken = as(claim.spec?.runToken ?? "");
    const sub = await dispatch(runToken, {
      repoId: "",
      baseCommit: "",
      bundleDigest: "",
      stateDigest: "",
      stateTree: "",
    });
    expect(sub.run).toMatchObject({ parentRunId: run?.id, user: "rita", team: "ops" });
    const [admitted] = await admin.listAudit({ runId: sub.run?.id ?? "", category: "dispatch" });
    expect(admitted).toMatchObject({ action: "admitted", actor: `run:${run?.id}` });
    // A run token keeps its narrow rights: nothing but Dispatch, GetRun and WatchRun.
    await expect(runToken.getBudget()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
