import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import { type AgentFileInput, loadAgentFiles } from "./agent-file.js";
import type { AgentSpec } from "./agent-spec.js";
import { type AgentFileError, fileError } from "./file-errors.js";
import { loadTeamFiles } from "./team-file.js";
import type { TeamSpec } from "./team-spec.js";

/** Agents, teams and the problems found while reading a set of definition files. */
export interface LoadedDefinitions {
  agents: AgentSpec[];
  teams: TeamSpec[];
  errors: AgentFileError[];
}

/** Most definition files taken from one source; a repository with more is doing something else. */
export const MAX_DEFINITION_FILES = 200;

const AGENT_FILE = /\.md$/i;
const TEAM_FILE = /\.ya?ml$/i;

/**
 * Parses a mixed set of definition files by extension: `*.md` are agents (`.pancode/agents/`), `*.yaml` / `*.yml`
 * are teams (`.pancode/teams/`). Anything else, and files beyond {@link MAX_DEFINITION_FILES}, are reported.
 */
export function loadDefinitionFiles(files: readonly AgentFileInput[], source: "repo" | "cluster"): LoadedDefinitions {
  const errors: AgentFileError[] = [];
  const taken = files.slice(0, MAX_DEFINITION_FILES);
  for (const skipped of files.slice(MAX_DEFINITION_FILES)) {
    errors.push(fileError(skipped.path, "", `ignored: more than ${MAX_DEFINITION_FILES} agent and team files`));
  }
  const agentFiles = taken.filter((f) => AGENT_FILE.test(f.path));
  const teamFiles = taken.filter((f) => TEAM_FILE.test(f.path));
  for (const other of taken.filter((f) => !AGENT_FILE.test(f.path) && !TEAM_FILE.test(f.path))) {
    errors.push(fileError(other.path, "", "neither an agent file (.md) nor a team file (.yaml)"));
  }
  const agents = loadAgentFiles(agentFiles, source);
  const teams = loadTeamFiles(teamFiles, source);
  return { agents: agents.agents, teams: teams.teams, errors: [...errors, ...agents.errors, ...teams.errors] };
}

/**
 * Reads the cluster's agents directory: `*.md` agent files and `*.yaml` / `*.yml` team files directly in `dir`,
 * in name order. Broken files are returned as errors; a missing or unreadable directory throws CONFIG_INVALID
 * naming it, because a configured directory that is not there is a deployment mistake.
 */
export async function loadAgentsDir(dir: string): Promise<LoadedDefinitions> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries
      .filter((e) => e.isFile() && (AGENT_FILE.test(e.name) || TEAM_FILE.test(e.name)))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    throw new PanCodeError(
      "CONFIG_INVALID",
      `cannot read the cluster agents directory ${dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const files: AgentFileInput[] = [];
  const errors: AgentFileError[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      files.push({ path, content: await readFile(path, "utf8") });
    } catch (err) {
      errors.push(fileError(path, "", `cannot be read: ${(err as Error).message}`));
    }
  }
  const loaded = loadDefinitionFiles(files, "cluster");
  return { ...loaded, errors: [...errors, ...loaded.errors] };
}
