import type { RunRow } from "@pancode/db";
import { describe, expect, it } from "vitest";
import { RunTokens } from "./run-tokens.js";

const rows = new Map<string, Pick<RunRow, "status">>([
  ["live", { status: "running" }],
  ["ended", { status: "done" }],
]);
const db = { getRun: async (id: string) => rows.get(id) as RunRow | undefined };

describe("RunTokens", () => {
  const tokens = new RunTokens("secret", db);

  it("verifies its own token of a live run", async () => {
    const token = tokens.mint("live");
    expect(RunTokens.looksLike(token)).toBe(true);
    expect(await tokens.verify(token)).toBe("live");
  });

  it("refuses tokens of ended or unknown runs, of another secret, and tampered ones", async () => {
    await expect(tokens.verify(tokens.mint("ended"))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(tokens.verify(tokens.mint("nope"))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(tokens.verify(new RunTokens("other", db).mint("live"))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    const token = tokens.mint("live");
    await expect(tokens.verify(token.replace("pcr1.live.", "pcr1.ended."))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    await expect(tokens.verify("pcr1.")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
