import { type Database, MAX_SESSIONS_PER_TOKEN, openDatabase } from "@pancode/db";
import { freshDatabaseUrl, type PostgresServer, queryRows, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SESSION_TTL_MS, SessionStore } from "./sessions.js";

// Console sessions live in Postgres: two stores on one database stand for two coordinator replicas configured with
// the same cluster secret (PANCODE_RUN_TOKEN_SECRET), on a clock the test moves.

let pg: PostgresServer;
let db: Database;
let url: string;
const SECRET = "cluster-secret-shared-by-replicas";
let nowMs = 0;
const clock = () => nowMs;

beforeAll(async () => {
  pg = await startPostgres();
  url = await freshDatabaseUrl(pg.url);
  db = await openDatabase({ url });
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
});

beforeEach(() => {
  nowMs = Date.parse("2026-12-05T09:00:00Z");
});

const replica = (secret = SECRET) => new SessionStore(db, secret, clock);

/** Every stored session row, as psql prints it (what a copy of the database holds). */
const storedRows = () => queryRows(url, "select * from console_sessions");

describe("console sessions", () => {
  it("a login on one replica holds on another, and a logout on either ends it on both", async () => {
    const a = replica();
    const b = replica();
    const { id } = await a.open("pct_alice_token", 0);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await b.get(id))?.token).toBe("pct_alice_token");
    await b.close(id);
    expect(await a.get(id)).toBeUndefined();
    expect(await b.get(id)).toBeUndefined();
  });

  it("stores neither the cookie's id nor the token in the clear", async () => {
    const { id } = await replica().open("pct_secret_value_123", 0);
    const dump = JSON.stringify(await storedRows());
    expect(dump).not.toContain(id);
    expect(dump).not.toContain("pct_secret_value_123");
  });

  it("ends after 12 h, or when its token expires if that is sooner", async () => {
    const store = replica();
    const long = await store.open("pct_a", 0);
    const short = await store.open("pct_b", nowMs + 60_000);
    expect(long.session.expiresAt).toBe(nowMs + SESSION_TTL_MS);
    expect((await store.get(short.id))?.token).toBe("pct_b");
    nowMs += 60_000;
    expect(await store.get(short.id)).toBeUndefined();
    expect((await store.get(long.id))?.token).toBe("pct_a");
    nowMs += SESSION_TTL_MS;
    expect(await store.get(long.id)).toBeUndefined();
  });

  it("opens nothing for a replica with another secret, a forged id, or a sealed token moved to another row", async () => {
    const { id: admin } = await replica().open("pct_admin_token", 0);
    const { id: mine } = await replica().open("pct_viewer_token", 0);
    expect(await replica("another secret").get(admin)).toBeUndefined();
    expect(await replica().get("forged")).toBeUndefined();
    expect(await replica().get(`${admin.slice(0, 42)}x`)).toBeUndefined();
    // Someone who can write the table copies the admin's sealed token into their own session's row: the seal is
    // bound to the row's id hash, so it does not open.
    await queryRows(
      url,
      `update console_sessions set token_sealed = (select token_sealed from console_sessions s
         where s.token_hash = encode(sha256('pct_admin_token'), 'hex'))
       where token_hash = encode(sha256('pct_viewer_token'), 'hex')`,
    );
    expect(await replica().get(mine)).toBeUndefined();
    expect((await replica().get(admin))?.token).toBe("pct_admin_token");
  });

  it(`keeps at most ${MAX_SESSIONS_PER_TOKEN} sessions per token (the oldest go) and forgets expired ones`, async () => {
    const store = replica();
    const expiring = await store.open("pct_other", nowMs + 1000);
    const ids: string[] = [];
    for (let i = 0; i <= MAX_SESSIONS_PER_TOKEN; i++) {
      nowMs += 10;
      ids.push((await store.open("pct_busy", 0)).id);
    }
    expect(await store.get(ids[0] as string)).toBeUndefined();
    expect((await store.get(ids[1] as string))?.token).toBe("pct_busy");
    nowMs += 2000;
    await store.open("pct_busy", 0);
    const [[busy]] = (await queryRows(
      url,
      "select count(*) from console_sessions where token_hash = encode(sha256('pct_busy'), 'hex')",
    )) as [[string]];
    expect(Number(busy)).toBe(MAX_SESSIONS_PER_TOKEN);
    expect(await store.get(expiring.id)).toBeUndefined();
    // Not just refused: gone from the table once a login came after its expiry.
    expect(
      await queryRows(url, "select 1 from console_sessions where token_hash = encode(sha256('pct_other'), 'hex')"),
    ).toEqual([]);
  });
});
