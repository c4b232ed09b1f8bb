import { PanCodeError } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { errorAnswer, HttpError } from "./errors.js";

describe("errorAnswer", () => {
  it("keeps a PanCode error's one-line message under the HTTP status of its code", () => {
    const denied = new PanCodeError("PERMISSION_DENIED", "stop run needs role member; you are eli (viewer)");
    expect(errorAnswer(denied)).toEqual({
      status: 403,
      body: { error: { code: "permission_denied", message: "stop run needs role member; you are eli (viewer)" } },
      internal: false,
    });
    expect(errorAnswer(new PanCodeError("UNAUTHENTICATED", "no token")).status).toBe(401);
    expect(errorAnswer(new PanCodeError("NOT_FOUND", "no run")).status).toBe(404);
    expect(errorAnswer(new PanCodeError("INVALID_ARGUMENT", "bad")).status).toBe(400);
  });

  it("never shows an unexpected error's details", () => {
    const answer = errorAnswer(new Error("connection string postgres://secret@db"));
    expect(answer.status).toBe(500);
    expect(answer.internal).toBe(true);
    expect(JSON.stringify(answer.body)).not.toContain("secret");
  });

  it("passes the HTTP layer's own refusals through", () => {
    expect(errorAnswer(new HttpError(403, "csrf_required", "needs the header")).body.error.code).toBe("csrf_required");
  });
});
