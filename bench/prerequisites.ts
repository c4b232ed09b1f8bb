import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Root of the repository (this file lives in bench/). */
export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The image agent runs start from, and so the image of the bare `docker run` baseline: `PANCODE_AGENT_IMAGE` (which
 * the bench's cluster inherits too, as the coordinator's and workers' image) or `pancode/agent:dev`.
 */
export const AGENT_IMAGE = agentImage(process.env);

function agentImage(env: NodeJS.ProcessEnv): string {
  return env.PANCODE_AGENT_IMAGE || "pancode/agent:dev";
}

const run = promisify(execFile);

/** Built entry points the cluster (and the bench's own imports) load. */
const BUILT = [
  "apps/server/dist/main.js",
  "apps/cli/dist/main.js",
  ...["core", "config", "telemetry", "proto", "db", "bus", "sandbox", "git", "agents", "receipts"].map(
    (p) => `packages/${p}/dist/index.js`,
  ),
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Checks what the bench needs and returns the problems (empty when all is there): the build (`npm run build`), a
 * reachable Docker engine, and the agent image (deploy/images/build-images.sh). The bench does not build anything
 * itself: a silent minute-long image build would end up inside someone's measurement.
 */
export async function checkPrerequisites(): Promise<{ problems: string[]; warnings: string[] }> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const missing = BUILT.filter((p) => !existsSync(join(REPO_ROOT, p)));
  if (missing.length > 0) problems.push(`not built (${missing.join(", ")} missing): run \`npm run build\``);
  else {
    // The cluster runs dist/, so a source edit without a rebuild would be measured as the old code.
    const stale = BUILT.filter((p) => {
      const pkgDir = join(REPO_ROOT, p.split("/dist/")[0] as string);
      return newestMtime(join(pkgDir, "src")) > statSync(join(REPO_ROOT, p)).mtimeMs;
    });
    if (stale.length > 0)
      warnings.push(
        `sources newer than the build in ${stale.map((p) => p.split("/dist/")[0]).join(", ")}: consider \`npm run build\``,
      );
  }
  try {
    await run("docker", ["version", "--format", "{{.Server.Version}}"], { timeout: 10_000 });
  } catch (err) {
    problems.push(`docker engine not reachable (${(err as Error).message.split("\n")[0]}): start dockerd`);
    return { problems, warnings };
  }
  try {
    await run("docker", ["image", "inspect", "--format", "{{.Id}}", AGENT_IMAGE], { timeout: 10_000 });
  } catch (_err) {
    problems.push(`image ${AGENT_IMAGE} missing: run \`bash deploy/images/build-images.sh\``);
  }
  return { problems, warnings };
}
