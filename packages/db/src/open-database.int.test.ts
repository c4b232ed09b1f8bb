import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { newRun } from "./fixtures/targets.js";
import { openDatabase } from "./open-database.js";

describe("openDatabase", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  test("Postgres: concurrent opens apply the migrations once and share the schema", async () => {
    const url = await freshDatabaseUrl(server.url);
    const [a, b, c] = await Promise.all([openDatabase({ url }), openDatabase({ url }), openDatabase({ url })]);
    try {
      expect(a.driver).toBe("postgres");
      const run = await a.insertRun(newRun());
      expect(await b.getRun(run.id)).toEqual(run);
      await c.ping();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
    const reopened = await openDatabase({ url });
    await reopened.close();
    await reopened.close();
  });

  test("Postgres: runs announced together are each heard by every coordinator on the database", async () => {
    const url = await freshDatabaseUrl(server.url);
    const [a, b] = await Promise.all([openDatabase({ url }), openDatabase({ url })]);
    const heard: string[] = [];
    const unlisten = await b.listenRuns((runId) => heard.push(runId));
    try {
      await a.announceRuns(["r1", "r2", "r3"]);
      await a.announceRuns([]);
      await a.announceRun("batch:b1");
      const deadline = Date.now() + 10_000;
      while (heard.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toEqual(["r1", "r2", "r3", "batch:b1"]);
    } finally {
      await unlisten();
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("Postgres unreachable: UNAVAILABLE, retryable, password not in the message", async () => {
    const err = await openDatabase({ url: "postgres://u:s3cret@127.0.0.1:1/x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect((err as Error).message).not.toContain("s3cret");
  });

  test("query errors after open are PanCodeErrors naming the operation", async () => {
    const url = await freshDatabaseUrl(server.url);
    const db = await openDatabase({ url });
    await db.close();
    const err = await db.getRun("x").catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "PanCodeError" });
    expect((err as Error).message).toContain("database getRun failed");
  });

  test("PGlite: persisted at dataDir across close and reopen", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-pglite-"));
    try {
      const first = await openDatabase({ dataDir });
      expect(first.driver).toBe("pglite");
      const run = await first.insertRun(newRun());
      await first.close();
      const second = await openDatabase({ dataDir: join(dataDir) });
      try {
        expect(await second.getRun(run.id)).toEqual(run);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
