import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensurePrivateDir } from "./private-dir.js";

describe("ensurePrivateDir", () => {
  it("creates a worker data dir 0700 and tightens one an older version left open", async () => {
    const root = await mkdtemp(join(tmpdir(), "pancode-worker-dir-"));
    try {
      const fresh = join(root, "fresh", "data");
      await ensurePrivateDir(fresh);
      expect((await stat(fresh)).mode & 0o777).toBe(0o700);
      const old = join(root, "old");
      await mkdir(old);
      await chmod(old, 0o755);
      await ensurePrivateDir(old);
      expect((await stat(old)).mode & 0o777).toBe(0o700);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
