import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MeteredCall, newProxyToken, type RunProxy, startRunProxy } from "./index.js";
import { send } from "./test-support/http-client.js";

/** A hand-driven upstream: each test sets how it answers, so errors and broken streams are exact. */
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end();
let upstream: http.Server;
let upstreamUrl: string;
let dir: string;
beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "model-proxy-pass-"));
});
afterAll(async () => {
  upstream.closeAllConnections();
  upstream.close();
  await rm(dir, { recursive: true, force: true });
});

let proxy: RunProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const token = newProxyToken();
const auth = { authorization: `Bearer ${token}` };
const chatBody = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
const streamBody = JSON.stringify({ model: "m", messages: [], stream: true, stream_options: { include_usage: true } });

async function start(extra: { egressAllow?: string[]; baseUrl?: string } = {}) {
  const metered: MeteredCall[] = [];
  const refused: { kind: string; target: string }[] = [];
  proxy = await startRunProxy({
    socketPath: join(dir, `p-${Math.random().toString(36).slice(2)}.sock`),
    runToken: token,
    providers: [{ name: "up", api: "openai-completions", baseUrl: extra.baseUrl ?? upstreamUrl, apiKey: "k" }],
    priceOf: () => ({ input: 1, output: 1 }),
    egressAllow: extra.egressAllow ?? [],
    onCall: (call) => metered.push(call),
    onRefused: (what) => refused.push(what),
  });
  return { proxy, metered, refused };
}

describe("provider errors pass through unchanged", () => {
  it.each([
    [
      401,
      {},
      '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
    ],
    [
      429,
      { "retry-after": "7", "x-ratelimit-remaining-requests": "0" },
      '{"error":{"message":"Rate limit","type":"requests"}}',
    ],
    [500, {}, '{"error":{"message":"The server had an error","type":"server_error"}}'],
    [503, { "retry-after": "1" }, "upstream overloaded"],
  ])("status %i", async (status, headers: Record<string, string>, body) => {
    answer = (_req, res) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
    const { proxy, metered } = await start();
    const got = await send(proxy, "POST", "/up/v1/chat/completions", auth, chatBody);
    expect(got.status).toBe(status);
    expect(got.body.toString()).toBe(body);
    for (const [name, value] of Object.entries(headers)) expect(got.headers[name]).toBe(value);
    expect(metered).toMatchObject([{ status, inputTokens: 0, costUsd: 0, error: `provider answered ${status}` }]);
  });
});

describe("streams", () => {
  it("relays each chunk before the upstream has finished (no buffering)", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"delta":{"content":"first"}}]}\n\n');
      // The rest only after the client has read the first chunk through the proxy.
      void released.then(() => {
        res.write('data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}\n\n');
        res.end("data: [DONE]\n\n");
      });
    };
    const { proxy, metered } = await start();
    const req = http.request({
      socketPath: proxy.socketPath,
      method: "POST",
      path: "/up/v1/chat/completions",
      headers: auth,
    });
    req.end(streamBody);
    const [res] = (await once(req, "response")) as [http.IncomingMessage];
    const [first] = (await once(res, "data")) as [Buffer];
    expect(first.toString()).toContain('"first"');
    const rest: Buffer[] = [];
    res.on("data", (chunk: Buffer) => rest.push(chunk));
    release();
    await once(res, "end");
    expect(Buffer.concat(rest).toString()).toContain("[DONE]");
    expect(metered).toMatchObject([{ inputTokens: 5, outputTokens: 2, costUsd: 7e-6, streamed: true }]);
  });

  it("ends the agent's response when the upstream stream breaks, records it, and keeps serving", async () => {
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"delta":{"content":"partial"}}]}\n\n', () => res.socket?.destroy());
    };
    const { proxy, metered } = await start();
    const broken = await send(proxy, "POST", "/up/v1/chat/completions", auth, streamBody);
    expect(broken.broken).toBe(true);
    expect(broken.body.toString()).toContain("partial");
    expect(metered).toMatchObject([{ status: 200, error: "upstream stream broke" }]);

    answer = (_req, res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end('{"usage":{"prompt_tokens":1,"completion_tokens":1}}');
    const next = await send(proxy, "POST", "/up/v1/chat/completions", auth, chatBody);
    expect(next.status).toBe(200);
    expect(proxy.usage().calls).toBe(2);
  });

  it("answers 502 in the provider's format when the provider cannot be reached", async () => {
    const closed = net.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const { proxy, metered } = await start({ baseUrl: `http://127.0.0.1:${port}/v1` });
    const got = await send(proxy, "POST", "/up/v1/chat/completions", auth, chatBody);
    expect(got.status).toBe(502);
    expect(JSON.parse(got.body.toString())).toMatchObject({ error: { type: "server_error" } });
    expect(metered[0]?.error).toMatch(/^upstream unreachable/);
  });
});

describe("HTTP CONNECT egress", () => {
  let echo: net.Server;
  let echoPort: number;
  beforeAll(async () => {
    echo = net.createServer((socket) => socket.pipe(socket));
    echo.listen(0, "127.0.0.1");
    await once(echo, "listening");
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(() => {
    echo.close();
  });

  function connect(socketPath: string, target: string): Promise<{ status: number; socket: net.Socket }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath, method: "CONNECT", path: target, agent: false });
      req.on("connect", (res: http.IncomingMessage, socket: net.Socket) =>
        resolve({ status: res.statusCode ?? 0, socket }),
      );
      req.on("response", (res) => resolve({ status: res.statusCode ?? 0, socket: res.socket as net.Socket }));
      req.on("error", reject);
      req.end();
    });
  }

  it("tunnels to an allowlisted host:port", async () => {
    const { proxy, refused } = await start({ egressAllow: [`127.0.0.1:${echoPort}`] });
    const { status, socket } = await connect(proxy.socketPath, `127.0.0.1:${echoPort}`);
    expect(status).toBe(200);
    socket.write("ping through the tunnel");
    const [data] = (await once(socket, "data")) as [Buffer];
    expect(data.toString()).toBe("ping through the tunnel");
    socket.destroy();
    expect(refused).toEqual([]);
  });

  it("refuses any other destination with 403 and reports it", async () => {
    const { proxy, refused } = await start({ egressAllow: [`127.0.0.1:${echoPort}`] });
    const other = `127.0.0.1:${echoPort === 65535 ? echoPort - 1 : echoPort + 1}`;
    const { status, socket } = await connect(proxy.socketPath, other);
    socket.destroy();
    expect(status).toBe(403);
    const byName = await connect(proxy.socketPath, `localhost:${echoPort}`);
    byName.socket.destroy();
    expect(byName.status).toBe(403);
    expect(refused).toEqual([
      { kind: "connect", target: other },
      { kind: "connect", target: `localhost:${echoPort}` },
    ]);
  });

  it("refuses every CONNECT when no egress is allowed", async () => {
    const { proxy, refused } = await start();
    const { status, socket } = await connect(proxy.socketPath, `127.0.0.1:${echoPort}`);
    socket.destroy();
    expect(status).toBe(403);
    expect(refused).toHaveLength(1);
  });
});
