import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { engineAddress, LOCAL_ENGINES, parseOllamaTags, parseOpenAiModels, probeEngine } from "@pancode/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const [ollama, lmstudio, llamacpp] = LOCAL_ENGINES as [
  (typeof LOCAL_ENGINES)[number],
  (typeof LOCAL_ENGINES)[number],
  (typeof LOCAL_ENGINES)[number],
];

describe("local engine answers", () => {
  it("reads Ollama's /api/tags", () => {
    const tags = {
      models: [
        { name: "qwen2.5-coder:7b", model: "qwen2.5-coder:7b", size: 4683087332 },
        { model: "llama3.2:latest" },
        { name: "" },
      ],
    };
    expect(parseOllamaTags(tags)).toEqual(["qwen2.5-coder:7b", "llama3.2:latest"]);
    expect(parseOllamaTags({ models: [] })).toEqual([]);
    expect(parseOllamaTags("<html>")).toEqual([]);
    expect(parseOllamaTags(null)).toEqual([]);
  });

  it("reads an OpenAI-compatible /v1/models (LM Studio, llama.cpp)", () => {
    const list = { object: "list", data: [{ id: "qwen2.5-7b-instruct", object: "model" }, { id: 7 }] };
    expect(parseOpenAiModels(list)).toEqual(["qwen2.5-7b-instruct"]);
    expect(parseOpenAiModels({ error: "not found" })).toEqual([]);
  });
});

describe("where a local engine listens", () => {
  it.each([
    [ollama, undefined, "http://127.0.0.1:11434", false],
    [ollama, "", "http://127.0.0.1:11434", false],
    [ollama, "0.0.0.0", "http://127.0.0.1:11434", true],
    [ollama, "127.0.0.1:5000", "http://127.0.0.1:5000", true],
    [ollama, ":5000", "http://127.0.0.1:5000", true],
    [ollama, "http://localhost:5000/", "http://localhost:5000", true],
    [ollama, "https://ollama.internal", "https://ollama.internal", true],
    [lmstudio, undefined, "http://127.0.0.1:1234", false],
    [lmstudio, "http://localhost:4321/v1", "http://localhost:4321", true],
    [llamacpp, "127.0.0.1:9090/v1/", "http://127.0.0.1:9090", true],
  ])("%s with %j probes %s", (engine, value, root, explicit) => {
    expect(engineAddress(engine, { [engine.envVar]: value })).toEqual({ root, explicit });
  });

  it("names the variables the ecosystem uses", () => {
    expect(LOCAL_ENGINES.map((e) => e.envVar)).toEqual(["OLLAMA_HOST", "LMSTUDIO_BASE_URL", "LLAMACPP_BASE_URL"]);
  });
});

/** A loopback port nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("probing an engine", () => {
  let server: Server;
  let root: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/tags") res.end(JSON.stringify({ models: [{ name: "qwen2.5-coder:7b" }] }));
      else if (req.url === "/v1/models") res.end(JSON.stringify({ data: [] }));
      else res.writeHead(404).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("offers what an engine lists, as a keyless, free OpenAI-compatible provider", async () => {
    const result = await probeEngine(ollama, { OLLAMA_HOST: root });
    expect(result).toMatchObject({
      provider: {
        name: "ollama",
        api: "openai-completions",
        baseUrl: `${root}/v1`,
        apiKeyEnv: "",
        models: [{ id: "qwen2.5-coder:7b", price: { input: 0, output: 0 } }],
      },
    });
  });

  it("says what to do when an engine the user pointed at lists nothing or is not there", async () => {
    expect(await probeEngine(lmstudio, { LMSTUDIO_BASE_URL: root })).toMatchObject({
      problem: `LM Studio at ${root} (LMSTUDIO_BASE_URL) lists no models: load or pull a model, or unset LMSTUDIO_BASE_URL`,
    });
    const closed = await closedPort();
    expect(await probeEngine(ollama, { OLLAMA_HOST: `127.0.0.1:${closed}` })).toMatchObject({
      problem: `Ollama at http://127.0.0.1:${closed} (OLLAMA_HOST) is unreachable (ECONNREFUSED): start it there, or unset OLLAMA_HOST`,
    });
    expect(await probeEngine(ollama, { OLLAMA_HOST: "http://[bad" })).toMatchObject({
      problem: 'OLLAMA_HOST="http://[bad" is not an address; set it like http://127.0.0.1:11434',
    });
  });

  it("stays quiet about an engine nobody asked for that is not there", async () => {
    const quiet = { ...llamacpp, defaultRoot: `http://127.0.0.1:${await closedPort()}` };
    expect(await probeEngine(quiet, {})).toMatchObject({ absent: true });
  });
});
