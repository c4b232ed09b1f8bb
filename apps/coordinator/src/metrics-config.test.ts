import { describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "./config.js";

describe("PANCODE_METRICS_LISTEN", () => {
  it("is off unless set, and takes host:port", () => {
    expect(loadCoordinatorConfig({}).metrics.listen).toBe("");
    expect(loadCoordinatorConfig({ PANCODE_METRICS_LISTEN: "" }).metrics.listen).toBe("");
    expect(loadCoordinatorConfig({ PANCODE_METRICS_LISTEN: "127.0.0.1:9464" }).metrics.listen).toBe("127.0.0.1:9464");
    expect(loadCoordinatorConfig({ PANCODE_METRICS_LISTEN: "[::1]:0" }).metrics.listen).toBe("[::1]:0");
  });

  it("refuses anything else, naming the variable", () => {
    expect(() => loadCoordinatorConfig({ PANCODE_METRICS_LISTEN: "9464" })).toThrow(/PANCODE_METRICS_LISTEN/);
    expect(() => loadCoordinatorConfig({ PANCODE_METRICS_LISTEN: "localhost:http" })).toThrow(/host:port/);
  });
});
