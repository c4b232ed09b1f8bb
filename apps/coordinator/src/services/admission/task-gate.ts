import { PanCodeError } from "@pancode/core";
import { checkTask, checkWorkspaceShape } from "../admission.js";
import type { AdmissionGate } from "./context.js";

/** Gate 5, task validation, with the shape of the workspace reference and the requested cost cap. */
export const taskGate: AdmissionGate = {
  name: "task",
  check(ctx) {
    const input = ctx.input;
    checkTask(input);
    checkWorkspaceShape(input);
    if (input.maxCostUsd !== undefined && (!Number.isFinite(input.maxCostUsd) || input.maxCostUsd < 0)) {
      throw new PanCodeError("INVALID_ARGUMENT", `max cost must be a positive amount in USD, got ${input.maxCostUsd}`);
    }
  },
};
