import { mkdtemp, rm, stat } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type MeteredCall,
  newProxyToken,
  type ProxyApi,
  type RunProxy,
  type RunProxyOptions,
  startRunProxy,
} from "./index.js";
import { send, withoutIds } from "./test-support/http-client.js";

const REAL_KEY = "sk-real-provider-key";
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const SCRIPTED_USAGE = { input: 100, output: 20, cacheRead: 30, cacheWrite: 10 };

/**
 * What each wire format can say of the scripted usage. OpenAI chat (with `cache_write_tokens`) and Anthropic carry
 * all four counts; Responses and Gemini have no cache-write field, so those tokens arrive as ordinary input.
 */
const EXPECTED: Record<ProxyApi, { input: number; output: number; cacheRead: number; cacheWrite: number }> = {
  "openai-completions": SCRIPTED_USAGE,
  "anthropic-messages": SCRIPTED_USAGE,
  "openai-responses": { input: 110, output: 20, cacheRead: 30, cacheWrite: 0 },
  google: { input: 110, output: 20, cacheRead: 30, cacheWrite: 0 },
};

interface ApiCase {
  api: ProxyApi;
  provider: string;
  /** Path on the proxy (after which the same path goes to the scripted server directly). */
  path: (streamed: boolean) => string;
  /** Path on the scripted server for a direct call. */
  directPath: (streamed: boolean) => string;
  body: (streamed: boolean) => string;
  auth: (key: string) => Record<string, string>;
}

const CASES: ApiCase[] = [
  {
    api: "openai-completions",
    provider: "openai",
    path: () => "/openai/v1/chat/completions",
    directPath: () => "/v1/chat/completions",
    body: (streamed) =>
      JSON.stringify({
        model: "scripted",
        messages: [{ role: "user", content: "hi" }],
        stream: streamed,
        ...(streamed ? { stream_options: { include_usage: true } } : {}),
      }),
    auth: (key) => ({ authorization: `Bearer ${key}` }),
  },
  {
    api: "openai-responses",
    provider: "openai-r",
    path: () => "/openai-r/v1/responses",
    directPath: () => "/v1/responses",
    body: (streamed) => JSON.stringify({ model: "scripted", input: "hi", stream: streamed }),
    auth: (key) => ({ authorization: `Bearer ${key}` }),
  },
  {
    api: "anthropic-messages",
    provider: "anthropic",
    path: () => "/anthropic/v1/messages",
    directPath: () => "/v1/messages",
    body: (streamed) =>
      JSON.stringify({
        model: "scripted",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        stream: streamed,
      }),
    auth: (key) => ({ "x-api-key": key, "anthropic-version": "2023-06-01" }),
  },
  {
    api: "google",
    provider: "google",
    path: (streamed) => `/google${geminiPath(streamed)}`,
    directPath: geminiPath,
    body: () => JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    auth: (key) => ({ "x-goog-api-key": key }),
  },
];

function geminiPath(streamed: boolean): string {
  return streamed ? "/v1beta/models/scripted:streamGenerateContent?alt=sse" : "/v1beta/models/scripted:generateContent";
}

let server: ModelServer;
let dir: string;
beforeAll(async () => {
  server = await startModelServer({
    scenarios: { name: "priced", turns: [{ text: "hello from the scripted model", usage: SCRIPTED_USAGE }] },
  });
  dir = await mkdtemp(join(tmpdir(), "model-proxy-"));
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Harness {
  proxy: RunProxy;
  token: string;
  metered: MeteredCall[];
  capReached: number[];
  refused: { kind: string; target: string }[];
}

let socketCount = 0;
async function startProxy(extra: Partial<RunProxyOptions> = {}): Promise<Harness> {
  const token = newProxyToken();
  const metered: MeteredCall[] = [];
  const capReached: number[] = [];
  const refused: { kind: string; target: string }[] = [];
  socketCount += 1;
  const proxy = await startRunProxy({
    socketPath: join(dir, `proxy-${socketCount}.sock`),
    runToken: token,
    providers: [
      // With and without a version segment in the base URL: both must reach /v1/... exactly once.
      { name: "openai", api: "openai-completions", baseUrl: server.openaiBaseUrl, apiKey: REAL_KEY },
      { name: "openai-r", api: "openai-responses", baseUrl: server.url, apiKey: REAL_KEY },
      { name: "anthropic", api: "anthropic-messages", baseUrl: server.anthropicBaseUrl, apiKey: REAL_KEY },
      { name: "google", api: "google", baseUrl: `${server.geminiBaseUrl}/v1beta`, apiKey: REAL_KEY },
    ],
    priceOf: (provider, model) => (model === "scripted" && provider !== "" ? PRICE : undefined),
    onCall: (call) => metered.push(call),
    onCapReached: (spent) => capReached.push(spent),
    onRefused: (what) => refused.push(what),
    ...extra,
  });
  return { proxy, token, metered, capReached, refused };
}

function priced(tokens: { input: number; output: number; cacheRead: number; cacheWrite: number }): number {
  return (
    (tokens.input * PRICE.input +
      tokens.output * PRICE.output +
      tokens.cacheRead * PRICE.cacheRead +
      tokens.cacheWrite * PRICE.cacheWrite) /
    1e6
  );
}

describe.each(CASES)("model proxy, $api", (c) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startProxy();
    return () => h.proxy.close();
  });

  it.each([false, true])(
    "streamed=%s: forwards with the real key, relays the bytes unchanged, meters usage",
    async (streamed) => {
      const before = server.requests.length;
      const viaProxy = await send(h.proxy, "POST", c.path(streamed), c.auth(h.token), c.body(streamed));
      const upstream = server.requests[before];
      expect(viaProxy.status).toBe(200);
      expect(upstream?.apiKey).toBe(REAL_KEY);
      expect(JSON.stringify(upstream?.headers)).not.toContain(h.token);
      expect(upstream?.path).toBe(c.directPath(streamed).split("?")[0]);

      const direct = await send(
        { origin: server.url },
        "POST",
        c.directPath(streamed),
        c.auth(REAL_KEY),
        c.body(streamed),
      );
      expect(direct.status).toBe(200);
      expect(withoutIds(viaProxy.body)).toBe(withoutIds(direct.body));
      expect(viaProxy.headers["content-type"]).toBe(direct.headers["content-type"]);

      const expected = EXPECTED[c.api];
      expect(h.metered).toHaveLength(1);
      expect(h.metered[0]).toMatchObject({
        provider: c.provider,
        model: "scripted",
        api: c.api,
        status: 200,
        streamed,
        inputTokens: expected.input,
        outputTokens: expected.output,
        cacheReadTokens: expected.cacheRead,
        cacheWriteTokens: expected.cacheWrite,
      });
      expect(h.metered[0]?.error).toBeUndefined();
      expect(h.metered[0]?.costUsd).toBeCloseTo(priced(expected), 12);
      expect(h.proxy.usage()).toMatchObject({
        calls: 1,
        inputTokens: expected.input,
        outputTokens: expected.output,
        models: ["scripted"],
      });
      expect(h.proxy.usage().costUsd).toBeCloseTo(priced(expected), 12);
    },
  );

  it("refuses a wrong token with 401 in the provider's format and forwards nothing", async () => {
    const before = server.requests.length;
    const answer = await send(h.proxy, "POST", c.path(false), c.auth(REAL_KEY), c.body(false));
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body.toString())).toMatchObject(authErrorShape(c.api));
    const none = await send(h.proxy, "POST", c.path(false), {}, c.body(false));
    expect(none.status).toBe(401);
    expect(server.requests.length).toBe(before);
    expect(h.refused.map((r) => r.kind)).toEqual(["auth", "auth"]);
    expect(h.metered).toHaveLength(0);
  });

  it("refuses the call after the cap is reached in the provider's format, and reports the cap once", async () => {
    await h.proxy.close();
    h = await startProxy({ capUsd: priced(EXPECTED[c.api]) / 2 });
    const first = await send(h.proxy, "POST", c.path(true), c.auth(h.token), c.body(true));
    expect(first.status).toBe(200);
    const before = server.requests.length;
    const second = await send(h.proxy, "POST", c.path(false), c.auth(h.token), c.body(false));
    const third = await send(h.proxy, "POST", c.path(true), c.auth(h.token), c.body(true));
    expect(second.status).toBe(429);
    expect(third.status).toBe(429);
    expect(JSON.parse(second.body.toString())).toMatchObject(capErrorShape(c.api));
    expect(second.headers["x-should-retry"]).toBe("false");
    expect(server.requests.length).toBe(before);
    expect(h.capReached).toHaveLength(1);
    expect(h.capReached[0]).toBeCloseTo(priced(EXPECTED[c.api]), 12);
    expect(h.proxy.usage().calls).toBe(1);
  });
});

function authErrorShape(api: ProxyApi): object {
  if (api === "anthropic-messages") return { type: "error", error: { type: "authentication_error" } };
  if (api === "google") return { error: { code: 401, status: "UNAUTHENTICATED" } };
  return { error: { code: "invalid_api_key" } };
}

function capErrorShape(api: ProxyApi): object {
  if (api === "anthropic-messages") return { type: "error", error: { type: "rate_limit_error" } };
  if (api === "google") return { error: { code: 429, status: "RESOURCE_EXHAUSTED" } };
  return { error: { type: "insufficient_quota", code: "insufficient_quota" } };
}

describe("model proxy routing and credentials", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startProxy();
    return () => h.proxy.close();
  });

  it("makes the socket connectable by any user (0666)", async () => {
    expect((await stat(h.proxy.socketPath)).mode & 0o777).toBe(0o666);
  });

  it("asks a streamed OpenAI chat call for its usage chunk when the agent did not, and meters it", async () => {
    const before = server.requests.length;
    const body = JSON.stringify({ model: "scripted", messages: [{ role: "user", content: "hi" }], stream: true });
    const answer = await send(
      h.proxy,
      "POST",
      "/openai/v1/chat/completions",
      { authorization: `Bearer ${h.token}` },
      body,
    );
    expect(answer.status).toBe(200);
    expect(server.requests[before]?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(h.metered[0]).toMatchObject({
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 30,
      cacheWriteTokens: 10,
    });
  });

  it("accepts the token as Gemini's ?key= and never forwards it", async () => {
    const before = server.requests.length;
    const path = `/google/v1beta/models/scripted:generateContent?key=${h.token}`;
    const answer = await send(
      h.proxy,
      "POST",
      path,
      {},
      JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    );
    expect(answer.status).toBe(200);
    expect(server.requests[before]?.apiKey).toBe(REAL_KEY);
    expect(server.requests[before]?.headers["x-goog-api-key"]).toBe(REAL_KEY);
  });

  it("refuses a request presenting the run token and another credential", async () => {
    const answer = await send(
      h.proxy,
      "POST",
      "/anthropic/v1/messages",
      { authorization: `Bearer ${h.token}`, "x-api-key": REAL_KEY },
      "{}",
    );
    expect(answer.status).toBe(401);
  });

  it("answers an unknown provider with 404 and reports the route", async () => {
    const answer = await send(
      h.proxy,
      "POST",
      "/nowhere/v1/chat/completions",
      { authorization: `Bearer ${h.token}` },
      "{}",
    );
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ error: { code: "not_found" } });
    expect(h.refused).toEqual([{ kind: "route", target: "POST /nowhere/v1/chat/completions" }]);
  });

  it("relays non-model calls (listing models) without metering them", async () => {
    const answer = await send(h.proxy, "GET", "/openai/v1/models", { authorization: `Bearer ${h.token}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ data: [{ id: "scripted" }] });
    expect(h.metered).toHaveLength(0);
  });
});

describe("metering cannot be dodged by the agent", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startProxy();
    return () => h.proxy.close();
  });
  const full = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 10 };

  it("a gzip-compressed streamed chat request still gets include_usage and is metered", async () => {
    const before = server.requests.length;
    const body = gzipSync(
      JSON.stringify({ model: "scripted", messages: [{ role: "user", content: "hi" }], stream: true }),
    );
    const answer = await sendBytes(h, "/openai/v1/chat/completions", { "content-encoding": "gzip" }, body);
    expect(answer.status).toBe(200);
    expect(server.requests[before]?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(h.metered[0]).toMatchObject(full);
  });

  it("an encoding the proxy cannot read is refused, not forwarded unmetered", async () => {
    const before = server.requests.length;
    const answer = await sendBytes(
      h,
      "/openai/v1/chat/completions",
      { "content-encoding": "compress" },
      Buffer.from("x"),
    );
    expect(answer.status).toBe(415);
    expect(server.requests.length).toBe(before);
  });

  it("the Responses endpoint through a provider declared as chat is metered as Responses", async () => {
    const answer = await send(
      h.proxy,
      "POST",
      "/openai/v1/responses",
      { authorization: `Bearer ${h.token}` },
      JSON.stringify({ model: "scripted", input: "hi", stream: true }),
    );
    expect(answer.status).toBe(200);
    expect(h.metered[0]).toMatchObject({
      api: "openai-responses",
      inputTokens: 110,
      outputTokens: 20,
      cacheReadTokens: 30,
    });
  });

  it("a model name that looks like a token-counting endpoint is still metered and capped", async () => {
    await h.proxy.close();
    h = await startProxy({ capUsd: 1e-9, priceOf: () => PRICE });
    const path = "/google/v1beta/models/count_tokens-countTokens:generateContent";
    const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    const first = await send(h.proxy, "POST", path, { "x-goog-api-key": h.token }, body);
    expect(first.status).toBe(200);
    expect(h.metered[0]).toMatchObject({ model: "count_tokens-countTokens", inputTokens: 110, outputTokens: 20 });
    const second = await send(h.proxy, "POST", path, { "x-goog-api-key": h.token }, body);
    expect(second.status).toBe(429);
  });

  it("a hook that throws does not take the proxy down", async () => {
    await h.proxy.close();
    h = await startProxy({
      onCall: () => {
        throw new Error("hook failed");
      },
    });
    const body = JSON.stringify({ model: "scripted", messages: [{ role: "user", content: "hi" }] });
    for (let i = 0; i < 2; i++) {
      const answer = await send(
        h.proxy,
        "POST",
        "/openai/v1/chat/completions",
        { authorization: `Bearer ${h.token}` },
        body,
      );
      expect(answer.status).toBe(200);
    }
    expect(h.proxy.usage().calls).toBe(2);
  });
});

/** Posts raw bytes (e.g. a compressed body) with the run token. */
function sendBytes(h: Harness, path: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number }>((resolve, reject) => {
    const req = http.request({
      socketPath: h.proxy.socketPath,
      method: "POST",
      path,
      headers: { "content-type": "application/json", authorization: `Bearer ${h.token}`, ...headers },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.end(body);
  });
}
