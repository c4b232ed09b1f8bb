import { checkMode } from "../admission.js";
import type { AdmissionGate } from "./context.js";

/** Gate 1, mode: no dispatch in Plan mode; an unknown mode is a malformed request. */
export const modeGate: AdmissionGate = {
  name: "mode",
  check(ctx) {
    checkMode(ctx.input);
  },
};
