import { PanCodeError } from "@pancode/core";
import { z } from "zod";
import { stopTarget } from "../../client/stop-run.js";
import { defineTool } from "../tool.js";

/** `stop_run`: stops a run, a batch or a chain wherever it runs, as `pancode stoprun --json`. */
export const stopRunTool = defineTool({
  name: "stop_run",
  description:
    "Stop a run (its container is killed, status interrupted), or every run of a batch or chain (nothing more of it " +
    "starts). Give one of run_id, batch_id, chain_id; none stops your most recent running run. Stopping something " +
    "that already finished changes nothing and says so.",
  input: {
    run_id: z.string().min(1).optional().describe("run id or unique prefix"),
    batch_id: z.string().min(1).optional().describe("batch id or unique prefix"),
    chain_id: z.string().min(1).optional().describe("chain or refine loop id or unique prefix"),
  },
  async run(args, { api }) {
    if ([args.run_id, args.batch_id, args.chain_id].filter(Boolean).length > 1) {
      throw new PanCodeError("INVALID_ARGUMENT", "name one thing to stop: run_id, batch_id or chain_id");
    }
    return stopTarget(api, { runId: args.run_id, batchId: args.batch_id, chainId: args.chain_id });
  },
});
