import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createMeterProvider } from "./meter-provider.js";
import { startOpsServer } from "./ops-server.js";

const SERVICE = { name: "pancode-test", version: "9.9.9", instanceId: "test-1" };

describe("the ops listener", () => {
  it("serves the provider's instruments at /metrics with the process identity, passing promtool", async () => {
    const metrics = await createMeterProvider({ service: SERVICE, env: {}, prometheus: true, global: false });
    const ops = await startOpsServer({ listen: "127.0.0.1:0", scrape: metrics.scrape, readiness: [] });
    try {
      expect(ops.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const meter = metrics.provider.getMeter("test");
      meter.createCounter("pancode.test.things").add(3, { kind: "a" });
      meter.createHistogram("pancode.test.wait.seconds", { unit: "s" }).record(0.2);
      const text = await (await fetch(`${ops.baseUrl}/metrics`)).text();
      expect(text).toMatch(/pancode_test_things_total\{kind="a"\} 3/);
      expect(text).toMatch(/pancode_test_wait_seconds_bucket\{le="5"\} 1/);
      expect(text).toMatch(/target_info\{[^}]*service_name="pancode-test"[^}]*\} 1/);
      expect(text).toMatch(/service_version="9\.9\.9"/);
      expect(text).toMatch(/service_instance_id="test-1"/);
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(check.error).toBeUndefined();
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      expect((await fetch(`${ops.baseUrl}/other`)).status).toBe(404);
    } finally {
      await ops.close();
      await metrics.shutdown();
    }
  });

  it("answers /healthz 200 and /readyz 200 or 503 naming each check, a hung probe failing after its timeout", async () => {
    let bus = "up";
    const ops = await startOpsServer({
      listen: "127.0.0.1:0",
      probeTimeoutMs: 200,
      readiness: [
        {
          name: "bus",
          probe: async () => {
            if (bus === "down") throw new Error("NATS unreachable");
          },
        },
        { name: "database", probe: () => (bus === "hung" ? new Promise<void>(() => {}) : Promise.resolve()) },
      ],
    });
    try {
      expect((await fetch(`${ops.baseUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${ops.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: "ready",
        checks: [
          { name: "bus", state: "ok" },
          { name: "database", state: "ok" },
        ],
      });
      bus = "down";
      const down = await fetch(`${ops.baseUrl}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: "not ready",
        checks: [
          { name: "bus", state: "failing", error: "NATS unreachable" },
          { name: "database", state: "ok" },
        ],
      });
      bus = "hung";
      const hung = await fetch(`${ops.baseUrl}/readyz`);
      expect(hung.status).toBe(503);
      expect(((await hung.json()) as { checks: unknown[] }).checks).toContainEqual({
        name: "database",
        state: "failing",
        error: "no answer within 200 ms",
      });
      expect((await fetch(`${ops.baseUrl}/metrics`)).status).toBe(404);
    } finally {
      await ops.close();
    }
  });

  it("says which address it could not listen on", async () => {
    const first = await startOpsServer({ listen: "127.0.0.1:0", readiness: [] });
    try {
      const taken = new URL(first.baseUrl).host;
      await expect(startOpsServer({ listen: taken, readiness: [] })).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: expect.stringContaining(`metrics endpoint cannot listen on ${taken}`),
      });
    } finally {
      await first.close();
    }
  });
});
