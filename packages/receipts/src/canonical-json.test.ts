import { canonicalJson } from "@pancode/receipts";
import { describe, expect, it } from "vitest";

describe("canonicalJson", () => {
  it("sorts keys recursively by UTF-16 code units and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, "x"], c: null }, e: undefined })).toBe(
      '{"a":{"c":null,"d":[3,"x"]},"b":1}',
    );
    // RFC 8785 example ordering: "\u20ac" (U+20AC) sorts before "\ud83d\ude00" (surrogate pair) by code units.
    expect(canonicalJson({ "\ud83d\ude00": 1, "\u20ac": 2, "\r": 3 })).toBe('{"\\r":3,"€":2,"😀":1}');
  });

  it("serialises numbers like ECMAScript", () => {
    expect(canonicalJson([1e21, 0.1, -0, 4.5])).toBe("[1e+21,0.1,0,4.5]");
    expect(() => canonicalJson(Number.NaN)).toThrow(/NaN/);
  });
});
