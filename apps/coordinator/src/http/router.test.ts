import { describe, expect, it } from "vitest";
import { Router } from "./router.js";

const router = new Router<string>([
  { method: "GET", path: "/api/v1/runs", handler: "list" },
  { method: "GET", path: "/api/v1/runs/:id", handler: "show" },
  { method: "GET", path: "/api/v1/runs/:id/events/stream", handler: "stream" },
  { method: "POST", path: "/api/v1/runs/:id/stop", handler: "stop" },
]);

describe("Router", () => {
  it("matches exact segments and decodes parameters", () => {
    expect(router.match("GET", "/api/v1/runs")).toEqual({ kind: "found", handler: "list", params: {} });
    expect(router.match("GET", "/api/v1/runs/a%20b")).toEqual({
      kind: "found",
      handler: "show",
      params: { id: "a b" },
    });
    expect(router.match("GET", "/api/v1/runs/r1/events/stream")).toMatchObject({
      handler: "stream",
      params: { id: "r1" },
    });
  });

  it("tells a wrong method from an unknown path", () => {
    expect(router.match("GET", "/api/v1/runs/r1/stop")).toEqual({ kind: "method-not-allowed", allow: ["POST"] });
    expect(router.match("GET", "/api/v1/runs/r1/nothing")).toEqual({ kind: "not-found" });
    expect(router.match("GET", "/api/v1/runs/r1/events/stream/more")).toEqual({ kind: "not-found" });
  });

  it("answers HEAD with the GET route and refuses undecodable parameters", () => {
    expect(router.match("HEAD", "/api/v1/runs")).toMatchObject({ kind: "found", handler: "list" });
    expect(router.match("GET", "/api/v1/runs/%E0%A4%A")).toEqual({ kind: "not-found" });
  });
});
