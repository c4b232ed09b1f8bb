import { createHash } from "node:crypto";
import { type Database, openDatabase } from "@pancode/db";
import { createLogger } from "@pancode/telemetry";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiTokens } from "./api-tokens.js";

// Token look-ups against real Postgres, on a clock the test moves. There is deliberately no cache of valid tokens
// (one measured nothing under the admissions bench, since concurrent calls already share one look-up): a token
// revoked by another replica (straight in the database, as that replica's revoke writes it) is refused on the very
// next call here, and a refusal is never remembered either.

let pg: PostgresServer;
let db: Database;
const logger = createLogger({ level: "error", write: () => {} });

beforeAll(async () => {
  pg = await startPostgres();
  db = await openDatabase({ url: await freshDatabaseUrl(pg.url) });
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
});

let nowMs = 0;
const clock = () => new Date(nowMs);
beforeEach(() => {
  nowMs = Date.parse("2026-12-05T06:00:00Z");
});

/** This replica's view of the tokens (and one more, for tokens the test creates). */
function replica(): ApiTokens {
  return new ApiTokens({ db, logger, now: clock });
}

describe("client token look-ups", () => {
  it("refuses a token revoked by another replica on its very next call", async () => {
    const here = replica();
    const { token } = await replica().create({ name: "dora", role: "member", team: "", expiresInSeconds: 0 });
    expect((await here.verify(token)).name).toBe("dora");
    await db.revokeApiToken("dora", clock());
    await expect(here.verify(token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/^token "dora" was revoked on /),
    });
  });

  it("refuses a token revoked on this replica on its very next call", async () => {
    const here = replica();
    const { token } = await here.create({ name: "eli", role: "member", team: "", expiresInSeconds: 0 });
    await here.verify(token);
    await here.revoke("eli");
    await expect(here.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("checks expiry on every call", async () => {
    const here = replica();
    const { token } = await here.create({ name: "fay", role: "viewer", team: "", expiresInSeconds: 10 });
    await here.verify(token);
    nowMs += 10_000;
    await expect(here.verify(token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/^token "fay" expired on /),
    });
  });

  it("never caches a refusal: a token unknown a moment ago is accepted once another replica created it", async () => {
    const here = replica();
    const token = "pct_minted-elsewhere";
    await expect(here.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const tokenHash = createHash("sha256").update(token).digest("hex");
    await db.createApiToken({ name: "gus", role: "member", team: null, tokenHash, expiresAt: null });
    expect((await here.verify(token)).name).toBe("gus");
  });
});
