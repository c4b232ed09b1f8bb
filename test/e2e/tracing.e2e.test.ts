import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// OpenTelemetry from the start: one trace from the CLI's command span, through gRPC metadata to the coordinator's
// admission, over NATS headers to the worker's spans, and into the container as TRACEPARENT. Spans are exported
// over real OTLP/HTTP (JSON) to a collector listening on loopback.

interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

const spans: ExportedSpan[] = [];
let collector: Server;
let cluster: Cluster;
let otelEnv: Record<string, string>;

function collect(body: string): void {
  const doc = JSON.parse(body) as {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
    }[];
  };
  for (const rs of doc.resourceSpans) {
    const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans)
        spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "" });
    }
  }
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.url === "/v1/traces") collect(body);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const port = (collector.address() as AddressInfo).port;
  otelEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_METRICS_EXPORTER: "none",
    OTEL_LOGS_EXPORTER: "none",
    OTEL_BSP_SCHEDULE_DELAY: "100",
  };
  cluster = await startCluster({ workers: 1, postgres: false, coordinatorEnv: otelEnv, workerEnv: otelEnv });
});

afterAll(async () => {
  await cluster?.stop();
  collector?.close();
});

describe("trace context", () => {
  it("flows from the CLI to the container, with a span for every stage", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const result = await cluster.cli(
      ["dispatch", 'echo "$TRACEPARENT" > tp.txt', "--agent", "shell", "--wait", "--json"],
      {
        cwd: repo.dir,
        env: otelEnv,
      },
    );
    expect(result.code).toBe(0);
    const traceparent = (await readFile(join(repo.dir, "tp.txt"), "utf8")).trim();
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const [, traceId, parentId] = traceparent.split("-");

    const wanted = [
      ["pancode-cli", "pancode dispatch"],
      ["pancode-coordinator", "pancode.admission"],
      ["pancode-worker", "pancode.queue.wait"],
      ["pancode-worker", "pancode.workspace.prepare"],
      ["pancode-worker", "pancode.container.run"],
      ["pancode-worker", "pancode.patch.compute"],
    ];
    await expect
      .poll(
        () =>
          wanted.filter(
            ([service, name]) => !spans.some((s) => s.service === service && s.name === name && s.traceId === traceId),
          ),
        {
          timeout: 20_000,
        },
      )
      .toEqual([])
      .catch((err) => {
        console.log(JSON.stringify(spans), traceparent);
        throw err;
      });
    // The container's TRACEPARENT names the container-run span as its parent.
    const containerSpan = spans.find((s) => s.name === "pancode.container.run" && s.traceId === traceId);
    expect(containerSpan?.spanId).toBe(parentId);
    // Admission is a child of the CLI's span: the context really crossed gRPC.
    const cliSpan = spans.find((s) => s.name === "pancode dispatch" && s.traceId === traceId);
    const admission = spans.find((s) => s.name === "pancode.admission" && s.traceId === traceId);
    expect(admission?.parentSpanId).toBe(cliSpan?.spanId);
    await repo.cleanup();
  });
});
