import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { MIGRATIONS_FOLDER } from "./migrate.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../scripts/check-migrations.sh", import.meta.url));

describe("committed migrations", () => {
  test("live in packages/db/drizzle, resolved from the module URL", () => {
    expect(MIGRATIONS_FOLDER.endsWith(join("packages", "db", "drizzle"))).toBe(true);
    expect(existsSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"))).toBe(true);
  });

  test("match the schema (drizzle-kit generate finds nothing to write)", async () => {
    const { stdout } = await run("bash", [script]);
    expect(stdout).toContain("migrations match the schema");
  });

  test("the check fails when a migration is missing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "pancode-migrations-"));
    try {
      await expect(run("bash", [script, empty])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('CREATE TABLE "runs"'),
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
