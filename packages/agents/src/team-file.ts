import { z } from "zod";
import { type AgentFileInput, MAX_AGENT_FILE_BYTES } from "./agent-file.js";
import { AgentName } from "./agent-spec.js";
import { type AgentFileError, fileError, issuesToErrors } from "./file-errors.js";
import { parseYamlText, withoutNulls } from "./front-matter.js";
import { TeamSpec } from "./team-spec.js";

/** A team file: `{ name, description, agents: [..] }`; strict, so a misspelt key is an error. */
const TeamFile = z.strictObject({
  name: AgentName.optional(),
  description: z.string().optional(),
  agents: z.array(AgentName).min(1),
});

const TEAM_FIELDS = Object.keys(TeamFile.shape);

/**
 * Parses team files (YAML). The name defaults to the file name. Every problem becomes an {@link AgentFileError}
 * naming the file and field; a broken file never affects the others; the first of two same-named teams is kept.
 * Members are checked against the agents only when a team is resolved, since repository agents arrive later.
 */
export function loadTeamFiles(
  files: readonly AgentFileInput[],
  source: "repo" | "cluster",
): { teams: TeamSpec[]; errors: AgentFileError[] } {
  const teams: TeamSpec[] = [];
  const errors: AgentFileError[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const bytes = Buffer.byteLength(file.content);
    if (bytes > MAX_AGENT_FILE_BYTES) {
      errors.push(fileError(file.path, "", `file is ${bytes} bytes, over the limit of ${MAX_AGENT_FILE_BYTES}`));
      continue;
    }
    const yaml = parseYamlText(file.content);
    if (!yaml.ok) {
      errors.push(fileError(file.path, "", yaml.problem));
      continue;
    }
    const parsed = TeamFile.safeParse(withoutNulls(yaml.data), { reportInput: true });
    if (!parsed.success) {
      errors.push(...issuesToErrors(file.path, parsed.error, TEAM_FIELDS));
      continue;
    }
    const name = parsed.data.name ?? (file.path.split(/[\\/]/).pop() ?? file.path).replace(/\.ya?ml$/i, "");
    const team = TeamSpec.safeParse({ ...parsed.data, name, source }, { reportInput: true });
    if (!team.success) {
      errors.push(...issuesToErrors(file.path, team.error, TEAM_FIELDS));
      continue;
    }
    const first = seen.get(team.data.name);
    if (first !== undefined) {
      errors.push(fileError(file.path, "name", `team "${team.data.name}" is already defined in ${first}`));
      continue;
    }
    seen.set(team.data.name, file.path);
    teams.push(team.data);
  }
  return { teams, errors };
}
