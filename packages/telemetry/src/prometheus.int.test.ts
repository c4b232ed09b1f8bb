import { describe, expect, it } from "vitest";
import { startPrometheusEndpoint } from "./prometheus.js";

describe("the Prometheus endpoint", () => {
  it("serves the meter's instruments at /metrics on the port it got, 404 elsewhere", async () => {
    const endpoint = await startPrometheusEndpoint({ listen: "127.0.0.1:0", meterName: "test" });
    try {
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      endpoint.meter.createCounter("pancode.test.things").add(3, { kind: "a" });
      const response = await fetch(endpoint.url);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/pancode_test_things_total\{kind="a"\} 3/);
      expect((await fetch(endpoint.url.replace("/metrics", "/other"))).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });

  it("says which address it could not listen on", async () => {
    const first = await startPrometheusEndpoint({ listen: "127.0.0.1:0", meterName: "test" });
    try {
      const taken = new URL(first.url).host;
      await expect(startPrometheusEndpoint({ listen: taken, meterName: "test" })).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: expect.stringContaining(`metrics endpoint cannot listen on ${taken}`),
      });
    } finally {
      await first.close();
    }
  });
});
