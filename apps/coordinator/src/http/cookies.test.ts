import { describe, expect, it } from "vitest";
import { clearedSessionCookie, parseCookies, sessionCookie } from "./cookies.js";

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Strict, for the whole site, and Secure only under TLS", () => {
    expect(sessionCookie("abc", { secure: false, maxAgeSeconds: 60 })).toBe(
      "pancode_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60",
    );
    expect(sessionCookie("abc", { secure: true, maxAgeSeconds: 60 }).split("; ")).toContain("Secure");
    expect(clearedSessionCookie(false)).toContain("pancode_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
  });

  it("parses a Cookie header; the first of two same-named cookies wins", () => {
    const cookies = parseCookies("a=1; pancode_session=s1 ; pancode_session=s2; junk; =x");
    expect(cookies.get("pancode_session")).toBe("s1");
    expect(cookies.get("a")).toBe("1");
    expect(cookies.size).toBe(2);
    expect(parseCookies(undefined).size).toBe(0);
  });
});
