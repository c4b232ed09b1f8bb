import { PanCodeError } from "@pancode/core";
import type { AdmissionGate } from "./context.js";

/** Gate 3, drain: a draining coordinator admits no new runs (retryable: another replica, or later). */
export const drainGate: AdmissionGate = {
  name: "drain",
  async check(_ctx, deps) {
    if (await deps.isDraining()) {
      throw new PanCodeError("DRAINING", "Dispatch blocked: the coordinator is draining and admits no new runs", {
        retryable: true,
      });
    }
  },
};
