import { checkMutation } from "../admission.js";
import type { AdmissionGate } from "./context.js";

/**
 * Gate 2, mutation: Review mode admits only read-only agents. Finds the agent for the gates before gate 9, which
 * reports an unknown one.
 */
export const mutationGate: AdmissionGate = {
  name: "mutation",
  check(ctx) {
    ctx.known = ctx.agents.get(ctx.agentName) ? ctx.agents.resolve(ctx.agentName) : undefined;
    if (ctx.known) checkMutation(ctx.input, ctx.known);
  },
};
