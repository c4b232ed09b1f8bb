import { loadDefinitionFiles } from "@pancode/agents";
import type { AdmissionGate } from "./context.js";

/**
 * Before the gates: the repository's own agents and teams apply to this dispatch only; broken files are warnings,
 * not refusals.
 */
export const repositoryFiles: AdmissionGate = {
  name: "repository files",
  check(ctx, deps) {
    const repo = loadDefinitionFiles(ctx.input.agentFiles ?? [], "repo");
    ctx.fileWarnings = repo.errors.map((e) => e.message);
    ctx.warnings.push(...ctx.fileWarnings);
    if (repo.agents.length + repo.teams.length > 0) ctx.agents = deps.agents.withRepository(repo);
  },
};
