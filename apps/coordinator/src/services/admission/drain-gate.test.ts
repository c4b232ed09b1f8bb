import { describe, expect, it } from "vitest";
import { drainGate } from "./drain-gate.js";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";

describe("drain gate", () => {
  it("refuses, retryably, while the coordinator drains", async () => {
    await expect(drainGate.check(context(), fakeDeps({ draining: true }))).rejects.toMatchObject({
      code: "DRAINING",
      retryable: true,
    });
  });

  it("admits otherwise", async () => {
    await expect(drainGate.check(context(), fakeDeps())).resolves.toBeUndefined();
  });
});
