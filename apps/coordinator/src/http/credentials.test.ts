import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { credentialsOf } from "./credentials.js";
import { HttpError } from "./errors.js";
import type { Session } from "./sessions.js";

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

describe("credentialsOf", () => {
  const id = "s".repeat(43);
  const cookie = `pancode_session=${id}`;
  // The session store's lookup, as the console server passes it (SessionStore.get; sessions.int.test.ts tests it).
  const findSession = async (asked: string): Promise<Session | undefined> =>
    asked === id ? { token: "pct_member", expiresAt: Date.now() + 60_000 } : undefined;

  it("takes a bearer token as is, and over a cookie", async () => {
    expect(await credentialsOf(request("POST", { authorization: "Bearer pct_x", cookie }), findSession)).toEqual({
      token: "pct_x",
      via: "bearer",
      sessionId: undefined,
    });
  });

  it("reads the session's token from the cookie for a GET", async () => {
    expect(await credentialsOf(request("GET", { cookie }), findSession)).toMatchObject({
      token: "pct_member",
      via: "cookie",
    });
  });

  it("refuses a state-changing cookie request without X-PanCode-CSRF: 1 (a cross-site form)", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const attempt = credentialsOf(request(method, { cookie }), findSession);
      await expect(attempt).rejects.toThrow(HttpError);
      await expect(attempt).rejects.toThrow("must carry header X-PanCode-CSRF: 1");
      await expect(credentialsOf(request(method, { cookie, "x-pancode-csrf": "0" }), findSession)).rejects.toThrow(
        HttpError,
      );
    }
    const allowed = await credentialsOf(request("POST", { cookie, "x-pancode-csrf": "1" }), findSession);
    expect(allowed.token).toBe("pct_member");
  });

  it("presents no credential for an unknown or missing session", async () => {
    expect(await credentialsOf(request("POST", { cookie: "pancode_session=forged" }), findSession)).toMatchObject({
      token: "",
      via: "none",
    });
    expect(await credentialsOf(request("GET", {}), findSession)).toEqual({
      token: "",
      via: "none",
      sessionId: undefined,
    });
  });
});
