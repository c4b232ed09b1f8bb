import { checkLoop, DEFAULT_LOOP_THRESHOLDS } from "../loop-detector.js";
import { checkScope, sessionSafety } from "../safety-scope.js";
import type { AdmissionGate } from "./context.js";

/**
 * Gate 7, safety: the agent's scope against the session's level (a sub-run's never above its parent's), then loop
 * detection. Closes the safety pre-flight: its warnings go to the submitter from here on.
 */
export const safetyGate: AdmissionGate = {
  name: "safety",
  async check(ctx, deps) {
    ctx.safety = sessionSafety(ctx.input.safety ?? "", ctx.parent?.spec.safety);
    if (ctx.known) checkScope(ctx.known, ctx.safety);
    const agent = ctx.known?.name ?? ctx.agentName;
    const loopWarning = await checkLoop(deps.db, agent, ctx.input.task, deps.loop ?? DEFAULT_LOOP_THRESHOLDS);
    if (loopWarning) ctx.safetyWarnings.push({ action: "loop_warning", message: loopWarning });
    ctx.warnings.push(...ctx.safetyWarnings.map((w) => w.message));
  },
};
