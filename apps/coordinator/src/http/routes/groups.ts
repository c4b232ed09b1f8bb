import { batchJson, chainJson } from "@pancode/proto";
import { type ApiContext, type ApiHandler, intParam } from "../context.js";
import type { Route } from "../router.js";

function limitOf(ctx: ApiContext): number {
  return intParam(ctx.url, "limit", { min: 1, max: 1000, fallback: 20 });
}

/** `POST /api/v1/{batches,chains}/{id}/stop`: as `pancode stoprun --batch|--chain <id> --json`. */
function stopGroup(kind: "batchId" | "chainId"): ApiHandler {
  return async (ctx) => {
    const request = { runId: "", batchId: "", chainId: "", submitter: "", [kind]: ctx.params.id as string };
    const answer = await ctx.api.unary("stopRun", request, ctx.token);
    return { json: { stopped: !answer.alreadyFinished, ...answer } };
  };
}

export const groupRoutes: Route<ApiHandler>[] = [
  {
    method: "GET",
    path: "/api/v1/batches",
    handler: async (ctx) => ({
      json: {
        batches: (await ctx.api.unary("listBatches", { limit: limitOf(ctx) }, ctx.token)).batches.map(batchJson),
      },
    }),
  },
  {
    method: "GET",
    path: "/api/v1/batches/:id",
    handler: async (ctx) => ({
      json: batchJson(await ctx.api.unary("getBatch", { id: ctx.params.id as string }, ctx.token)),
    }),
  },
  { method: "POST", path: "/api/v1/batches/:id/stop", handler: stopGroup("batchId") },
  {
    method: "GET",
    path: "/api/v1/chains",
    handler: async (ctx) => ({
      json: { chains: (await ctx.api.unary("listChains", { limit: limitOf(ctx) }, ctx.token)).chains.map(chainJson) },
    }),
  },
  {
    method: "GET",
    path: "/api/v1/chains/:id",
    handler: async (ctx) => ({
      json: chainJson(await ctx.api.unary("getChain", { id: ctx.params.id as string }, ctx.token)),
    }),
  },
  { method: "POST", path: "/api/v1/chains/:id/stop", handler: stopGroup("chainId") },
];
