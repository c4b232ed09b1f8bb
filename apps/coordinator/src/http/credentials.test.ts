import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { credentialsOf } from "./credentials.js";
import { HttpError } from "./errors.js";
import { SessionStore } from "./sessions.js";

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

describe("credentialsOf", () => {
  const sessions = new SessionStore();
  const { id } = sessions.open("pct_member", 0);
  const cookie = `pancode_session=${id}`;

  it("takes a bearer token as is, and over a cookie", () => {
    expect(credentialsOf(request("POST", { authorization: "Bearer pct_x", cookie }), sessions)).toEqual({
      token: "pct_x",
      via: "bearer",
      sessionId: undefined,
    });
  });

  it("reads the session's token from the cookie for a GET", () => {
    expect(credentialsOf(request("GET", { cookie }), sessions)).toMatchObject({ token: "pct_member", via: "cookie" });
  });

  it("refuses a state-changing cookie request without X-PanCode-CSRF: 1 (a cross-site form)", () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const attempt = () => credentialsOf(request(method, { cookie }), sessions);
      expect(attempt).toThrow(HttpError);
      expect(attempt).toThrow("must carry header X-PanCode-CSRF: 1");
      expect(() => credentialsOf(request(method, { cookie, "x-pancode-csrf": "0" }), sessions)).toThrow(HttpError);
    }
    expect(credentialsOf(request("POST", { cookie, "x-pancode-csrf": "1" }), sessions).token).toBe("pct_member");
  });

  it("presents no credential for an unknown or missing session", () => {
    expect(credentialsOf(request("POST", { cookie: "pancode_session=forged" }), sessions)).toMatchObject({
      token: "",
      via: "none",
    });
    expect(credentialsOf(request("GET", {}), sessions)).toEqual({ token: "", via: "none", sessionId: undefined });
  });
});
