import { execFile } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PanCodeError } from "@pancode/core";

/** Socket of the local Docker engine used by integration tests. */
export const DOCKER_SOCKET = "/var/run/docker.sock";
/**
 * Image built by deploy/images/build-images.sh that agent runs start from. `PANCODE_AGENT_IMAGE` picks another tag
 * (a candidate image under test, next to the shared `pancode/agent:dev`); the clusters tests start inherit it, so
 * coordinator and workers use the same image.
 */
export const TEST_AGENT_IMAGE = process.env.PANCODE_AGENT_IMAGE || "pancode/agent:dev";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const buildScript = `${repoRoot}deploy/images/build-images.sh`;
/** A cold build (debootstrap + import + agent image) takes about a minute; leave room for a slow mirror. */
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** GET on the engine API over its unix socket; undefined when nothing answers. No dockerode: sandbox owns it. */
function engineStatus(path: string, socketPath = DOCKER_SOCKET): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: "GET", timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** True when a Docker engine answers `/_ping` on {@link DOCKER_SOCKET}. */
export async function dockerAvailable(): Promise<boolean> {
  return (await engineStatus("/_ping")) === 200;
}

/**
 * True when Docker tests should be skipped: no engine AND not in CI. In CI (`CI=true`) a missing engine must
 * fail the tests instead, which {@link ensureTestImages} does with a clear message.
 *
 * ```ts
 * describe.skipIf(await skipWithoutDocker())("docker runtime", () => { ... });
 * ```
 */
export async function skipWithoutDocker(): Promise<boolean> {
  return !isCI() && !(await dockerAvailable());
}

let images: Promise<{ agentImage: string }> | undefined;

/**
 * Makes sure the test images exist, building them with deploy/images/build-images.sh at most once per process
 * (the script itself serializes concurrent test processes with a lock). Rejects with `UNAVAILABLE` when no
 * engine answers, and with `SANDBOX_FAILED` plus the script's output when the build fails.
 */
export function ensureTestImages(): Promise<{ agentImage: string }> {
  images ??= buildIfMissing();
  return images;
}

async function buildIfMissing(): Promise<{ agentImage: string }> {
  if (!(await dockerAvailable())) {
    const why = isCI() ? " (CI=true: Docker integration tests must run, not skip)" : "";
    throw new PanCodeError("UNAVAILABLE", `docker engine not reachable at ${DOCKER_SOCKET}${why}; start dockerd`);
  }
  if ((await engineStatus(`/images/${TEST_AGENT_IMAGE}/json`)) === 200) return { agentImage: TEST_AGENT_IMAGE };
  try {
    await promisify(execFile)("bash", [buildScript], {
      cwd: repoRoot,
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const output = (err as { stderr?: string; stdout?: string }).stderr || (err as { stdout?: string }).stdout || "";
    throw new PanCodeError("SANDBOX_FAILED", `${buildScript} failed: ${output.slice(-2_000)}`, { cause: err });
  }
  return { agentImage: TEST_AGENT_IMAGE };
}

function isCI(): boolean {
  return process.env.CI === "true" || process.env.CI === "1";
}
