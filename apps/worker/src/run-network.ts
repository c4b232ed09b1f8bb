import type { ModelTarget, RunGrant, RunSpec, Usage } from "@pancode/core";
import type { RunProxy } from "@pancode/model-proxy";
import type { EventReporter } from "./event-reporter.js";
import { type NestedDispatchConfig, nestedDispatchEnv } from "./nested-dispatch.js";
import {
  MODEL_TOKEN_ENV,
  type PriceTable,
  proxiedModel,
  startModelProxy,
  usageOfCall,
  usageOfProxy,
} from "./run-model-proxy.js";
import {
  CONTAINER_COORDINATOR_PORT,
  CONTAINER_MODEL_PORT,
  CONTAINER_SOCKET_DIR,
  COORDINATOR_SOCKET,
  openRunTransport,
  type RunTransport,
} from "./run-transport.js";
import { isOverCap, type StopReason } from "./stop-reason.js";
import type { ExecutionMetrics } from "./worker-metrics.js";

/** What a run's container needs to reach its model and the coordinator, and how to tear it down. */
export interface RunNetwork {
  /** The model as the agent CLI must see it (through the proxy), or the spec's own without a proxy. */
  model: ModelTarget | null;
  env: Record<string, string>;
  mounts: { hostPath: string; containerPath: string; perRun?: boolean }[];
  wrap(argv: string[]): string[];
  /** What a warm container runs while it waits for the run (`SandboxRunSpec.warmPrelude`). */
  warmPrelude?: string;
  /** The proxy-metered usage, or undefined when the run had no proxy (plain commands, process sandbox). */
  meteredUsage(): Usage | undefined;
  proxy?: RunProxy;
  close(): Promise<void>;
}

/** Dependencies of {@link openRunNetwork}: the worker's slice of ExecutionDeps. */
export interface RunNetworkDeps {
  workerId: string;
  sandbox: { kind: "docker" | "process" };
  secrets: Readonly<Record<string, string>>;
  nested?: NestedDispatchConfig;
  /** Host directory of the installed forwarder; '' or absent = no socket transport (process sandbox). */
  forwarderDir?: string;
  dataDir?: string;
  prices?: PriceTable;
  /** Counts each metered model call; none = no metrics. */
  metrics?: Pick<ExecutionMetrics, "modelCall">;
}

/**
 * A container run gets a socket directory with its model proxy (coding agents) and a relay to the coordinator
 * (nested dispatch), and a forwarder in front of its command: it needs no network at all. Each metered call is
 * reported as a `model_call` event and a `usage` event (what the coordinator folds into the run's cost); the run is
 * stopped at the call that takes it over its cap.
 */
export async function openRunNetwork(
  deps: RunNetworkDeps,
  spec: RunSpec,
  grant: RunGrant | undefined,
  reporter: EventReporter,
  requestStop: (reason: StopReason) => void,
): Promise<RunNetwork> {
  const wantsNested = Boolean(deps.nested?.clientDir && grant?.runToken);
  const egress = spec.agent.egress;
  const wantsProxy = Boolean(spec.model) || egress.length > 0;
  if (deps.sandbox.kind !== "docker" || !deps.forwarderDir || !deps.dataDir || (!wantsProxy && !wantsNested)) {
    const nested = nestedDispatchEnv(deps.nested, grant, { runId: spec.runId, sandbox: deps.sandbox.kind });
    return {
      model: spec.model,
      env: nested.env,
      mounts: nested.mounts,
      wrap: (argv) => argv,
      meteredUsage: () => undefined,
      close: async () => {},
    };
  }
  const transport: RunTransport = await openRunTransport({
    dataDir: deps.dataDir,
    forwarderDir: deps.forwarderDir,
    coordinatorAddress: wantsNested ? deps.nested?.coordinatorAddress : undefined,
    forward: wantsProxy,
  });
  try {
    const nested = nestedDispatchEnv(deps.nested, grant, {
      runId: spec.runId,
      sandbox: "docker",
      // Behind the forwarder its TCP port; else the relay's socket itself (grpc's unix: address).
      relayAddress: wantsProxy
        ? `127.0.0.1:${CONTAINER_COORDINATOR_PORT}`
        : `unix:${CONTAINER_SOCKET_DIR}/${COORDINATOR_SOCKET}`,
    });
    const metered = wantsProxy ? await startRunModelProxy(deps, spec, transport, reporter, requestStop) : undefined;
    return {
      model: spec.model ? proxiedModel(spec.model, CONTAINER_MODEL_PORT) : null,
      env: { ...nested.env, ...(metered ? { [MODEL_TOKEN_ENV]: metered.token } : {}), ...egressEnv(egress) },
      mounts: [...transport.mounts, ...nested.mounts],
      wrap: transport.wrap,
      warmPrelude: transport.warmPrelude,
      meteredUsage: () => (metered ? usageOfProxy(metered.proxy) : undefined),
      proxy: metered?.proxy,
      async close() {
        await metered?.proxy.close();
        await transport.close();
      },
    };
  } catch (err) {
    await transport.close();
    throw err;
  }
}

/**
 * The standard proxy variables, when the agent has egress hosts: HTTPS goes through the proxy's CONNECT (which
 * refuses every host not listed); the model itself, on the container's loopback, goes direct.
 */
function egressEnv(egress: readonly string[]): Record<string, string> {
  if (egress.length === 0) return {};
  const proxy = `http://127.0.0.1:${CONTAINER_MODEL_PORT}`;
  const direct = "127.0.0.1,localhost";
  return { HTTPS_PROXY: proxy, https_proxy: proxy, NO_PROXY: direct, no_proxy: direct };
}

async function startRunModelProxy(
  deps: RunNetworkDeps,
  spec: RunSpec,
  transport: RunTransport,
  reporter: EventReporter,
  requestStop: (reason: StopReason) => void,
) {
  let spent = 0;
  return startModelProxy({
    socketPath: transport.modelSocketPath,
    model: spec.model,
    egress: spec.agent.egress,
    secrets: deps.secrets,
    workerId: deps.workerId,
    prices: deps.prices,
    capUsd: spec.maxCostUsd,
    onCall(call) {
      deps.metrics?.modelCall(call);
      const usage = usageOfCall(call);
      reporter.agent({
        type: "model_call",
        provider: call.provider,
        model: call.model,
        status: call.status,
        streamed: call.streamed,
        usage,
        durationMs: call.durationMs,
        ttfbMs: call.ttfbMs,
        ...(call.error ? { error: call.error } : {}),
      });
      reporter.agent({ type: "usage", usage });
      spent += call.costUsd;
      if (isOverCap(spent, spec.maxCostUsd)) requestStop("budget");
    },
    onCapReached: () => requestStop("budget"),
    // What the agent tried and the proxy refused is on the run's record (a wrong token, an unknown route).
    onRefused: (what) => reporter.safety("proxy_refused", `the model proxy refused ${what.kind} ${what.target}`),
  });
}

/**
 * Compares the CLI's own usage report with the proxy's metering: a different token count is worth a warning (an
 * agent that forges its stream, or a CLI that miscounts), never a different charge.
 */
export function usageMismatch(cli: Usage, metered: Usage): string {
  if (cli.input === 0 && cli.output === 0) return "";
  if (cli.input + cli.cacheRead === metered.input + metered.cacheRead && cli.output === metered.output) return "";
  return (
    `the agent reported ${cli.input + cli.cacheRead} input and ${cli.output} output tokens, the model proxy ` +
    `metered ${metered.input + metered.cacheRead} and ${metered.output}; the run is charged what the proxy metered`
  );
}
