/**
 * `npm run bench` (model proxy part): what the per-run model proxy adds to a streamed model call. The same streamed
 * requests (OpenAI chat and Anthropic messages against the scripted model server on loopback) go directly to the
 * server and through the proxy's Unix socket, interleaved in one run, both over keep-alive connections; printed are
 * time to first body byte and total time, p50/p95, with the proxy's ratio and added milliseconds. A measurement,
 * not a test: it always exits 0.
 *
 * ```sh
 * npx tsx bench/model-proxy-bench.ts [--reps 200]
 * ```
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { newProxyToken, startRunProxy } from "../packages/model-proxy/src/index.js";
import { startModelServer } from "../packages/testing/src/model-server/index.js";
import { type Summary, summarize } from "./stats.js";

interface Timing {
  ttfbMs: number;
  totalMs: number;
}

interface RoutePath {
  path: string;
  headers: Record<string, string>;
}

interface Route {
  agent: http.Agent;
  socketPath?: string;
  port?: number;
  path: string;
  headers: Record<string, string>;
}

/** One streamed request: time to the first body byte and to the end of the stream. */
function timeOne(route: Route, body: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfbMs = Number.NaN;
    const req = http.request({
      method: "POST",
      path: route.path,
      agent: route.agent,
      headers: { "content-type": "application/json", ...route.headers },
      ...(route.socketPath ? { socketPath: route.socketPath } : { host: "127.0.0.1", port: route.port }),
    });
    req.on("error", reject);
    req.on("response", (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on("data", () => {
        if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - start;
      });
      res.on("end", () => resolve({ ttfbMs, totalMs: performance.now() - start }));
      res.on("error", reject);
    });
    req.end(body);
  });
}

const fmt = (ms: number): string => ms.toFixed(2).padStart(8);

function line(label: string, direct: Summary, proxied: Summary): string {
  const ratio = (a: number, b: number): string => `${(a / Math.max(b, 1e-6)).toFixed(2)}x`.padStart(7);
  return (
    `${label.padEnd(34)} ${fmt(direct.p50)} ${fmt(proxied.p50)} ${ratio(proxied.p50, direct.p50)} ${fmt(proxied.p50 - direct.p50)}` +
    `   ${fmt(direct.p95)} ${fmt(proxied.p95)} ${ratio(proxied.p95, direct.p95)} ${fmt(proxied.p95 - direct.p95)}`
  );
}

async function main(): Promise<void> {
  const repsFlag = process.argv.indexOf("--reps");
  const reps = repsFlag >= 0 ? Number(process.argv[repsFlag + 1]) : 200;
  const warmup = 20;
  const text = "The proxy relays this answer chunk by chunk. ".repeat(20);
  const server = await startModelServer({
    scenarios: { name: "bench", turns: [{ text, usage: { input: 1000, output: 200 } }] },
  });
  const dir = await mkdtemp(join(tmpdir(), "model-proxy-bench-"));
  const token = newProxyToken();
  const proxy = await startRunProxy({
    socketPath: join(dir, "proxy.sock"),
    runToken: token,
    providers: [
      { name: "openai", api: "openai-completions", baseUrl: server.openaiBaseUrl, apiKey: "sk-real" },
      { name: "anthropic", api: "anthropic-messages", baseUrl: server.anthropicBaseUrl, apiKey: "sk-real" },
    ],
    priceOf: () => ({ input: 3, output: 15 }),
  });
  const port = Number(new URL(server.url).port);
  const directAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const proxyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const messages = [{ role: "user", content: "hi" }];
  const apis: { name: string; body: string; direct: RoutePath; proxied: RoutePath }[] = [
    {
      name: "openai chat (stream)",
      body: JSON.stringify({ model: "bench", messages, stream: true, stream_options: { include_usage: true } }),
      direct: { path: "/v1/chat/completions", headers: { authorization: "Bearer sk-real" } },
      proxied: { path: "/openai/v1/chat/completions", headers: { authorization: `Bearer ${token}` } },
    },
    {
      name: "anthropic messages (stream)",
      body: JSON.stringify({ model: "bench", max_tokens: 256, messages, stream: true }),
      direct: { path: "/v1/messages", headers: { "x-api-key": "sk-real", "anthropic-version": "2023-06-01" } },
      proxied: { path: "/anthropic/v1/messages", headers: { "x-api-key": token, "anthropic-version": "2023-06-01" } },
    },
  ];
  console.log(`model proxy: streamed request through the proxy's socket vs direct to the scripted server`);
  console.log(`${reps} requests each (after ${warmup} warm-up), interleaved, keep-alive, same run; milliseconds`);
  console.log(
    `${"".padEnd(34)} ${"p50 dir".padStart(8)} ${"p50 prx".padStart(8)} ${"ratio".padStart(7)} ${"added".padStart(8)}   ${"p95 dir".padStart(8)} ${"p95 prx".padStart(8)} ${"ratio".padStart(7)} ${"added".padStart(8)}`,
  );
  try {
    for (const api of apis) {
      const direct: Timing[] = [];
      const proxied: Timing[] = [];
      const directRoute: Route = { agent: directAgent, port, ...api.direct };
      const proxyRoute: Route = { agent: proxyAgent, socketPath: proxy.socketPath, ...api.proxied };
      for (let i = -warmup; i < reps; i++) {
        const d = await timeOne(directRoute, api.body);
        const p = await timeOne(proxyRoute, api.body);
        if (i >= 0) {
          direct.push(d);
          proxied.push(p);
        }
      }
      const pick = (list: Timing[], key: keyof Timing) => summarize(list.map((t) => t[key]));
      console.log(line(`${api.name} ttfb`, pick(direct, "ttfbMs"), pick(proxied, "ttfbMs")));
      console.log(line(`${api.name} total`, pick(direct, "totalMs"), pick(proxied, "totalMs")));
    }
    const usage = proxy.usage();
    console.log(`metered through the proxy: ${usage.calls} calls, $${usage.costUsd.toFixed(4)}`);
  } finally {
    directAgent.destroy();
    proxyAgent.destroy();
    await proxy.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
