import { EMPTY_DIGEST, isDigest, sha256Digest } from "@pancode/core";
import { describe, expect, it } from "vitest";

describe("sha256Digest", () => {
  it("addresses content as sha256:<hex>", () => {
    expect(sha256Digest("abc")).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(isDigest(EMPTY_DIGEST)).toBe(true);
    expect(isDigest("sha256:XYZ")).toBe(false);
  });
});
