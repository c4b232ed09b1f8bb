import { z } from "zod";
import { AgentName, AgentSource } from "./agent-spec.js";

/** A named group of agents (used by batch dispatch): the members are agent names, resolved when the team is. */
export const TeamSpec = z
  .object({
    name: AgentName,
    description: z.string().default(""),
    agents: z.array(AgentName).min(1),
    /** Where the team came from; later layers win: builtin < cluster < repo. */
    source: AgentSource.default("builtin"),
  })
  .superRefine((team, ctx) => {
    const twice = team.agents.filter((a, i) => team.agents.indexOf(a) !== i);
    if (twice.length > 0) {
      ctx.addIssue({ code: "custom", path: ["agents"], message: `lists ${[...new Set(twice)].join(", ")} twice` });
    }
  });
export type TeamSpec = z.infer<typeof TeamSpec>;

/** The built-in teams. */
export const BUILTIN_TEAMS: readonly TeamSpec[] = [
  {
    name: "review",
    description: "Three read-only reviews of the same change: code, plan or design, and security.",
    agents: ["reviewer", "plan-reviewer", "red-team"],
  },
].map((team) => TeamSpec.parse(team));
