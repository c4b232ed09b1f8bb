import { describe, expect, it } from "vitest";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";
import { pathGate } from "./path-gate.js";

describe("path gate", () => {
  it("refuses a task that names a path outside the workspace", async () => {
    await expect(pathGate.check(context({ task: "read /etc/passwd" }), fakeDeps())).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
    });
  });

  it("warns about a path missing from the workspace's files, as a safety warning", async () => {
    const deps = fakeDeps();
    const loaded: string[] = [];
    const ctx = context({ task: "fix src/missing.ts" });
    await pathGate.check(ctx, {
      ...deps,
      trees: {
        load: async (ws) => {
          loaded.push(ws.bundleDigest);
          return { files: new Map(), isDirectory: (p: string) => p === "src", readLink: async () => "" } as never;
        },
      },
    });
    expect(loaded).toHaveLength(1);
    expect(ctx.safetyWarnings).toEqual([
      { action: "path_warning", message: expect.stringContaining("src/missing.ts") },
    ]);
  });

  it("costs nothing for a task that names no path", async () => {
    const ctx = context({ task: "make it faster" });
    await pathGate.check(ctx, fakeDeps());
    expect(ctx.safetyWarnings).toEqual([]);
  });
});
