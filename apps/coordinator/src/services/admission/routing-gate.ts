import { PanCodeError } from "@pancode/core";
import { DEFAULT_POOL } from "../admission.js";
import { type AdmissionGate, required } from "./context.js";

/**
 * Gate 10, routing: a live worker must serve the pool, the agent's runtime and, for model runs, hold a key for the
 * model's provider, or the run would wait forever. The refusal names what is missing.
 */
export const routingGate: AdmissionGate = {
  name: "routing",
  async check(ctx, deps) {
    const agent = required(ctx.agent, "the agent");
    const model = ctx.model ?? null;
    const live = await deps.workers.liveWorkers(DEFAULT_POOL, agent.runtime);
    if (live.length === 0) {
      throw new PanCodeError(
        "NO_WORKER",
        `Dispatch blocked: no live worker in pool "${DEFAULT_POOL}" serves runtime "${agent.runtime}" (start one with \`pancode worker\`)`,
      );
    }
    if (model && !live.some((w) => deps.workers.servesModel(w.id, model.provider, model.id))) {
      const keyHint = model.apiKeyEnv
        ? `set ${model.apiKeyEnv} on a worker`
        : deps.models.discovering
          ? "the workers that offered it are gone; see `pancode models`"
          : "check the workers' PANCODE_CONFIG";
      throw new PanCodeError(
        "NO_WORKER",
        `Dispatch blocked: no live worker holds an API key for provider "${model.provider}" (${keyHint})`,
      );
    }
  },
};
