import { describe, expect, it } from "vitest";
import { differingFields, receiptIdOf } from "./attempt-predicate.js";

describe("receiptIdOf", () => {
  it("is a UUID fixed by run id and attempt, different for every attempt and run", () => {
    const id = receiptIdOf("run-1", 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(receiptIdOf("run-1", 1)).toBe(id);
    expect(new Set([id, receiptIdOf("run-1", 2), receiptIdOf("run-2", 1)]).size).toBe(3);
  });
});

describe("differingFields", () => {
  it("names nested differences, and keys present on one side only", () => {
    const expected = { a: 1, b: { c: "x", d: [1, 2] }, e: null };
    expect(differingFields(expected, structuredClone(expected))).toEqual([]);
    expect(differingFields({ a: 1, b: { c: "y", d: [2, 1] }, e: null, extra: true }, expected)).toEqual([
      "b.c",
      "b.d",
      "extra",
    ]);
    expect(differingFields({ a: 1, b: { c: "x", d: [1, 2] } }, expected)).toEqual(["e"]);
    expect(differingFields("not an object", expected)).toEqual(["(statement)"]);
  });
});
