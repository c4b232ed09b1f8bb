import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderOffer } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoordinatorNode, startCoordinatorNode } from "./fixtures/coordinator-node.js";

// Zero-config (no PANCODE_CONFIG): the coordinator's models are what its workers offer at registration.

const OLLAMA: ProviderOffer = {
  name: "ollama",
  api: "openai-completions",
  baseUrl: "http://127.0.0.1:11434/v1",
  apiKeyEnv: "",
  models: [{ id: "qwen-coder", priceInput: 0, priceOutput: 0, priceCacheRead: 0, priceCacheWrite: 0 }],
  problem: "",
};

const workerKey = generateSigningKey();

const registration = {
  workerId: "w-zero",
  pool: "default",
  sandbox: "docker",
  capacity: 1,
  version: "test",
  runtimes: ["pi", "command"],
  providers: ["ollama"],
  publicKeyPem: workerKey.publicKeyPem,
  offers: [OLLAMA],
};

let dataDir: string;
let node: CoordinatorNode | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pancode-offers-"));
});

afterAll(async () => {
  await node?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("models offered by workers", () => {
  it("lists what a registered worker offers, and nothing before", async () => {
    node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir, PANCODE_HEARTBEAT_MS: "60000" });
    expect(await node.client.listModels()).toEqual({
      models: [],
      defaultModel: "",
      source: "discovered",
      problems: [],
    });
    await node.worker.register(registration, workerKey.privateKey);
    expect(await node.client.listModels()).toMatchObject({
      defaultModel: "ollama/qwen-coder",
      models: [{ ref: "ollama/qwen-coder", workers: ["w-zero"], isDefault: true }],
    });
  });

  it("asks a worker to register again after a coordinator restart, so its offers are known again", async () => {
    await node?.close();
    node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir, PANCODE_HEARTBEAT_MS: "60000" });
    // The database still knows the worker; this process does not know what it offers. A heartbeat is refused
    // (NOT_FOUND, or UNAUTHENTICATED for this fresh connection without a session), and either makes a worker register.
    await expect(node.worker.heartbeat("w-zero", [])).rejects.toMatchObject({
      code: expect.stringMatching(/^(NOT_FOUND|UNAUTHENTICATED)$/),
    });
    await node.worker.register(registration, workerKey.privateKey);
    await node.worker.heartbeat("w-zero", []);
    expect((await node.client.listModels()).models).toMatchObject([{ ref: "ollama/qwen-coder", workers: ["w-zero"] }]);
  });
});
