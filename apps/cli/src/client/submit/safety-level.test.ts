import { describe, expect, it } from "vitest";
import { UsageError } from "../exit-codes.js";
import { isRunToken, sessionSafety } from "./safety-level.js";

describe("sessionSafety", () => {
  it("takes --safety, else PANCODE_SAFETY, else auto-edit", () => {
    expect(sessionSafety("suggest", { safety: "full-auto" })).toBe("suggest");
    expect(sessionSafety(undefined, { safety: "full-auto" })).toBe("full-auto");
    expect(sessionSafety(undefined, {})).toBe("auto-edit");
  });

  it("refuses unknown levels with a usage error naming the source", () => {
    expect(() => sessionSafety("yolo", {})).toThrow(UsageError);
    expect(() => sessionSafety(undefined, { safety: "max" })).toThrow(/PANCODE_SAFETY must be one of/);
  });

  it("tells run tokens from client tokens", () => {
    expect(isRunToken("pcr1.r.mac")).toBe(true);
    expect(isRunToken("abcdef")).toBe(false);
  });
});
