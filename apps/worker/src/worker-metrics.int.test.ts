import type { MeteredCall } from "@pancode/model-proxy";
import { createMeterProvider, startOpsServer } from "@pancode/telemetry";
import { describe, expect, it } from "vitest";
import { WorkerMetrics } from "./worker-metrics.js";

// The worker's metric names as Prometheus scrapes them: the names of issue 15 (the dashboards of deploy/ query
// exactly these).

describe("the worker's metrics", () => {
  it("are scraped under the names, units and labels of issue 15", async () => {
    const metrics = await createMeterProvider({
      service: { name: "pancode-worker", version: "0", instanceId: "w1" },
      env: {},
      prometheus: true,
      global: false,
    });
    const ops = await startOpsServer({ listen: "127.0.0.1:0", scrape: metrics.scrape, readiness: [] });
    try {
      const recorder = new WorkerMetrics(metrics.provider.getMeter("pancode-worker"), {
        workerId: "w1",
        slots: 4,
        activeRuns: () => 1,
      });
      recorder.containerStarted(0.3);
      recorder.workspacePrepared(0.05);
      recorder.patchComputed(2000);
      recorder.modelCall({ provider: "scripted", model: "slow", status: 429, durationMs: 1500 } as MeteredCall);
      const text = await (await fetch(`${ops.baseUrl}/metrics`)).text();
      const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
      expect(families).toEqual(
        expect.arrayContaining([
          "pancode_worker_slots gauge",
          "pancode_worker_active_runs gauge",
          "pancode_container_start_seconds histogram",
          "pancode_workspace_prepare_seconds histogram",
          "pancode_patch_bytes histogram",
          "pancode_model_requests_total counter",
          "pancode_model_request_duration_seconds histogram",
        ]),
      );
      expect(text).toMatch(/^pancode_worker_slots\{worker="w1"\} 4$/m);
      expect(text).toMatch(/^pancode_worker_active_runs\{worker="w1"\} 1$/m);
      expect(text).toMatch(/^pancode_container_start_seconds_bucket\{le="0.5"\} 1$/m);
      expect(text).toMatch(/^pancode_patch_bytes_bucket\{le="4096"\} 1$/m);
      expect(text).toMatch(/^pancode_model_requests_total\{provider="scripted",model="slow",status="429"\} 1$/m);
      expect(text).toMatch(
        /^pancode_model_request_duration_seconds_bucket\{provider="scripted",model="slow",status="429",le="2"\} 1$/m,
      );
    } finally {
      await ops.close();
      await metrics.shutdown();
    }
  });
});
