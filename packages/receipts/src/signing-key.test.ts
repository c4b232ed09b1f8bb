import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyIdOf, loadOrCreateSigningKey } from "@pancode/receipts";
import { describe, expect, it } from "vitest";

describe("loadOrCreateSigningKey", () => {
  it("creates an owner-only Ed25519 key on first start and loads the same key afterwards", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pancode-key-"));
    try {
      const path = join(dir, "keys", "worker-w1.pem");
      const first = await loadOrCreateSigningKey(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "keys"))).mode & 0o777).toBe(0o700);
      // Loosened by hand (or left so by an older version): tightened when loaded.
      await chmod(path, 0o644);
      await chmod(join(dir, "keys"), 0o755);
      const again = await loadOrCreateSigningKey(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "keys"))).mode & 0o777).toBe(0o700);
      expect(again.keyId).toBe(first.keyId);
      expect(keyIdOf(first.publicKeyPem)).toBe(first.keyId);
      expect(first.keyId).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
