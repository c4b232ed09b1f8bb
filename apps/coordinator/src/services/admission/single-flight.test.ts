import { describe, expect, it } from "vitest";
import { singleFlight } from "./single-flight.js";

describe("singleFlight", () => {
  it("shares one call among concurrent callers with the same key, and starts a new one once it settled", async () => {
    const pending: { key: string; resolve: (v: string) => void }[] = [];
    const read = singleFlight(
      (key: string) => new Promise<string>((resolve) => pending.push({ key, resolve })),
      (key) => key,
    );
    const together = Promise.all([read("a"), read("a")]);
    const other = read("b");
    expect(pending.map((p) => p.key)).toEqual(["a", "b"]);
    pending[0]?.resolve("a1");
    pending[1]?.resolve("b1");
    expect(await together).toEqual(["a1", "a1"]);
    expect(await other).toBe("b1");
    const again = read("a");
    expect(pending.map((p) => p.key)).toEqual(["a", "b", "a"]);
    pending[2]?.resolve("a2");
    expect(await again).toBe("a2");
  });

  it("shares a failure too, and the next call tries again", async () => {
    let n = 0;
    const read = singleFlight(
      async () => {
        n++;
        if (n === 1) throw new Error("down");
        return n;
      },
      () => "k",
    );
    const failed = await Promise.allSettled([read(), read()]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await read()).toBe(2);
  });
});
