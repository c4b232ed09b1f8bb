import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { builtinCatalogue, checkMovedEndpoints, parseGeminiModels, providersFromEnv } from "@pancode/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const catalogue = builtinCatalogue();

describe("an endpoint moved by *_BASE_URL", () => {
  let server: Server;
  let url: string;
  const seen: { path: string; auth: string }[] = [];
  beforeAll(async () => {
    // One stand-in: another vendor behind the OpenAI API (/other), a gateway serving Claude (/gw), Gemini's list.
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", auth: String(req.headers.authorization ?? req.headers["x-api-key"] ?? "") });
      res.setHeader("content-type", "application/json");
      if (req.url === "/other/v1/models")
        res.end(JSON.stringify({ data: [{ id: "deepseek-chat" }, { id: "deepseek-reasoner" }] }));
      else if (req.url === "/gw/v1/models")
        res.end(JSON.stringify({ data: [{ id: "claude-haiku-4-5" }, { id: "x" }] }));
      else if (req.url === "/g/v1beta/models")
        res.end(JSON.stringify({ models: [{ name: "models/gemini-2.5-flash" }] }));
      else res.writeHead(404).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("offers the catalogue models the endpoint lists, asking with the provider's key", async () => {
    const env = {
      ANTHROPIC_API_KEY: "sk-ant",
      ANTHROPIC_BASE_URL: `${url}/gw`,
      GEMINI_API_KEY: "g",
      GOOGLE_GEMINI_BASE_URL: `${url}/g`,
    };
    const found = await checkMovedEndpoints(providersFromEnv(env, catalogue), catalogue, env);
    expect(found.providers.map((p) => [p.name, p.baseUrl, p.models.map((m) => m.id)])).toEqual([
      ["anthropic", `${url}/gw`, ["claude-haiku-4-5"]],
      ["google", `${url}/g/v1beta`, ["gemini-2.5-flash"]],
    ]);
    expect(seen).toContainEqual({ path: "/gw/v1/models", auth: "sk-ant" });
    expect(found.problems).toEqual([]);
  });

  it("says how to declare the models of another vendor behind a compatible API", async () => {
    const env = { OPENAI_API_KEY: "sk-o", OPENAI_BASE_URL: `${url}/other/v1` };
    const found = await checkMovedEndpoints(providersFromEnv(env, catalogue), catalogue, env);
    expect(found.providers).toEqual([]);
    expect(found.problems).toEqual([
      {
        provider: "openai",
        message: expect.stringMatching(
          /^OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/other\/v1 lists none of the catalogue's openai models \(it has: deepseek-chat, deepseek-reasoner\); declare its models in a cluster config file \(PANCODE_CONFIG: .*apiKeyEnv: OPENAI_API_KEY/,
        ),
      },
    ]);
  });

  it("takes an endpoint that will not list its models at its word", async () => {
    const env = { OPENAI_API_KEY: "sk-o", OPENAI_BASE_URL: `${url}/nolist/v1` };
    const found = await checkMovedEndpoints(providersFromEnv(env, catalogue), catalogue, env);
    expect(found.providers[0]?.models.length).toBe(catalogue.providers[1]?.models.length);
  });

  it("reads Gemini's model names", () => {
    expect(parseGeminiModels({ models: [{ name: "models/gemini-2.5-pro" }, { name: 3 }] })).toEqual(["gemini-2.5-pro"]);
  });
});
