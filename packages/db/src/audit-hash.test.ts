import { describe, expect, test } from "vitest";
import { auditEntryHash, canonicalJson, type HashedAuditFields } from "./queries/audit-hash.js";

const entry: HashedAuditFields = {
  seq: 7,
  at: new Date("2026-11-24T16:00:00.123Z"),
  category: "dispatch",
  action: "refused",
  runId: null,
  actor: "me@host",
  gate: "mode",
  message: "Dispatch blocked: plan mode",
  data: { b: 1, a: { d: [1, "x", null], c: true } },
  prevHash: `sha256:${"1".repeat(64)}`,
};

describe("canonicalJson", () => {
  test("sorts keys at every depth, keeps array order, drops undefined, no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { z: [3, 1, { y: 1, x: 2 }], u: undefined, é: "é" }, "": 0 })).toBe(
      '{"":0,"a":{"z":[3,1,{"x":2,"y":1}],"é":"é"},"b":1}',
    );
    expect(canonicalJson([undefined, null])).toBe("[null,null]");
  });

  test("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot carry/);
  });
});

describe("auditEntryHash", () => {
  test("is independent of key order and changes with every field", () => {
    const base = auditEntryHash(entry);
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(auditEntryHash({ ...entry, data: { a: { c: true, d: [1, "x", null] }, b: 1 } })).toBe(base);
    const changed: Partial<HashedAuditFields>[] = [
      { seq: 8 },
      { at: new Date("2026-11-24T16:00:00.124Z") },
      { category: "budget" },
      { action: "admitted" },
      { runId: "r1" },
      { actor: "you@host" },
      { gate: "drain" },
      { message: "x" },
      { data: { b: 2, a: { d: [1, "x", null], c: true } } },
      { prevHash: "" },
    ];
    for (const change of changed) expect(auditEntryHash({ ...entry, ...change })).not.toBe(base);
  });
});
