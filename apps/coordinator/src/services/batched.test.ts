import { expect, it } from "vitest";
import { batched } from "./batched.js";

it("sends the calls of one turn as one batch and answers each caller with its own result", async () => {
  const batches: number[][] = [];
  const double = batched(async (items: number[]) => {
    batches.push(items);
    return items.map((n) => n * 2);
  });
  expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
  expect(await double(4)).toBe(8);
  expect(batches).toEqual([[1, 2, 3], [4]]);
});

it("fails every call of a failed batch, and the next batch goes on", async () => {
  let fail = true;
  const echo = batched(async (items: string[]) => {
    if (fail) throw new Error("database away");
    return items;
  });
  const results = await Promise.allSettled([echo("a"), echo("b")]);
  expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  fail = false;
  expect(await echo("c")).toBe("c");
});

it("splits a burst larger than one batch over several calls", async () => {
  const sizes: number[] = [];
  const id = batched(async (items: number[]) => {
    sizes.push(items.length);
    return items;
  });
  const all = await Promise.all(Array.from({ length: 1200 }, (_, i) => id(i)));
  expect(all[1199]).toBe(1199);
  expect(sizes).toEqual([500, 500, 200]);
});
