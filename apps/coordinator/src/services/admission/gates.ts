import { agentGate } from "./agent-gate.js";
import { budgetGate } from "./budget-gate.js";
import type { AdmissionContext, AdmissionDeps, AdmissionGate } from "./context.js";
import { drainGate } from "./drain-gate.js";
import { modeGate } from "./mode-gate.js";
import { mutationGate } from "./mutation-gate.js";
import { pathGate } from "./path-gate.js";
import { recursionGate } from "./recursion-gate.js";
import { repositoryFiles } from "./repository-files.js";
import { routingGate } from "./routing-gate.js";
import { safetyGate } from "./safety-gate.js";
import { taskGate } from "./task-gate.js";
import { workspaceGate } from "./workspace-gate.js";

/**
 * Admission, in the seed's order (MISSION.md): the first gate that refuses decides the refusal, so a request that
 * fails several gates always reports the same one. The repository's agent files are read first (they define which
 * agents exist); the workspace's blobs are checked last, just before the run is recorded.
 */
export const ADMISSION_GATES: readonly AdmissionGate[] = [
  repositoryFiles,
  modeGate,
  mutationGate,
  drainGate,
  recursionGate,
  taskGate,
  pathGate,
  safetyGate,
  budgetGate,
  agentGate,
  routingGate,
  workspaceGate,
];

/** Runs `gates` in order over `ctx`; the first refusal is thrown. */
export async function runGates(
  ctx: AdmissionContext,
  deps: AdmissionDeps,
  gates: readonly AdmissionGate[] = ADMISSION_GATES,
): Promise<AdmissionContext> {
  for (const gate of gates) await gate.check(ctx, deps);
  return ctx;
}
