import { describe, expect, it } from "vitest";
import { UsageError } from "../exit-status.js";
import type { PancodeConfig } from "./context.js";
import { type ConnectionSources, resolveConnection } from "./resolve.js";
import { takeContextFlag } from "./selection.js";

const CONFIG: PancodeConfig = {
  current: "prod",
  contexts: [
    { name: "prod", address: "prod:7400", token: "t-prod", ca: "PEM" },
    { name: "dev", address: "dev:7400", token: "t-dev" },
  ],
};

/** The env/data-dir source, as connection.ts builds it (here: what the variables say, or the local cluster). */
const environment = (env: NodeJS.ProcessEnv) => () => ({
  address: env.PANCODE_COORDINATOR || "127.0.0.1:7400",
  token: env.PANCODE_TOKEN ?? "local-token",
  caPath: "",
});

function resolve(env: NodeJS.ProcessEnv, contextFlag?: string, config: PancodeConfig = CONFIG) {
  const sources: ConnectionSources = { env, contextFlag, config: () => config, environment: environment(env) };
  return resolveConnection(sources);
}

const ENV = { PANCODE_COORDINATOR: "env:7400", PANCODE_TOKEN: "t-env" };

describe("which cluster a command talks to", () => {
  it("the current context, when nothing else is said", () => {
    expect(resolve({})).toEqual({ address: "prod:7400", token: "t-prod", caPath: "", caPem: "PEM", context: "prod" });
  });

  it("PANCODE_COORDINATOR / PANCODE_TOKEN beat the current context", () => {
    expect(resolve(ENV)).toMatchObject({ address: "env:7400", token: "t-env" });
    expect(resolve({ PANCODE_TOKEN: "t-env" })).toMatchObject({ address: "127.0.0.1:7400", token: "t-env" });
  });

  it("PANCODE_CONTEXT picks a context; with PANCODE_COORDINATOR/PANCODE_TOKEN too it is ambiguous", () => {
    expect(resolve({ PANCODE_CONTEXT: "dev" })).toMatchObject({ address: "dev:7400", token: "t-dev", context: "dev" });
    expect(() => resolve({ ...ENV, PANCODE_CONTEXT: "dev" })).toThrow(/both set/);
  });

  it("--context beats every variable, and a context's token never goes to another address", () => {
    expect(resolve({ ...ENV, PANCODE_CONTEXT: "prod" }, "dev")).toEqual({
      address: "dev:7400",
      token: "t-dev",
      caPath: "",
      context: "dev",
    });
  });

  it("a local `pancode up` data dir, when there is no context", () => {
    expect(resolve({}, undefined, { contexts: [] })).toMatchObject({ address: "127.0.0.1:7400", token: "local-token" });
  });

  it("an unknown context is a usage error listing the known ones", () => {
    expect(() => resolve({}, "staging")).toThrow(new UsageError('unknown context "staging" (known: prod, dev)'));
    expect(() => resolve({ PANCODE_CONTEXT: "x" }, undefined, { contexts: [] })).toThrow(/no contexts yet/);
    expect(() => resolve({}, undefined, { current: "gone", contexts: [] })).toThrow(/"gone" is not defined/);
  });

  it("a malformed config file matters only when a context is needed", () => {
    const broken: ConnectionSources = {
      env: ENV,
      config: () => {
        throw new UsageError("config.yaml:3: bad");
      },
      environment: environment(ENV),
    };
    expect(resolveConnection(broken).token).toBe("t-env");
    expect(() => resolveConnection({ ...broken, env: {} })).toThrow(/config\.yaml:3/);
  });
});

describe("the global --context flag", () => {
  it("is taken out of argv before or after the command, but not after --", () => {
    expect(takeContextFlag(["node", "pancode", "--context", "dev", "runs", "--json"])).toEqual({
      argv: ["node", "pancode", "runs", "--json"],
      context: "dev",
    });
    expect(takeContextFlag(["node", "pancode", "runs", "--context=prod"])).toEqual({
      argv: ["node", "pancode", "runs"],
      context: "prod",
    });
    expect(takeContextFlag(["node", "pancode", "dispatch", "--", "--context", "x"]).context).toBeUndefined();
    expect(() => takeContextFlag(["node", "pancode", "runs", "--context"])).toThrow(UsageError);
  });
});
