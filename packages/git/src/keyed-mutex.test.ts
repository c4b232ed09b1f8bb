import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./keyed-mutex.js";

describe("KeyedMutex", () => {
  it("runs calls for one key one at a time, in order, and other keys concurrently", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      mutex.run(key, async () => {
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([job("a", "a1", 30), job("a", "a2", 1), job("b", "b1", 5)]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(mutex.size).toBe(0);
  });

  it("releases the key when the function throws", async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(mutex.run("k", async () => "next")).resolves.toBe("next");
    expect(mutex.size).toBe(0);
  });
});
