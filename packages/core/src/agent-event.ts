import { z } from "zod";

/** Token usage of one model call, or the running total of a run. Cost in USD; null when nobody could price it. */
export const Usage = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cacheRead: z.number().int().nonnegative().default(0),
  cacheWrite: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().nullable().default(null),
});
export type Usage = z.infer<typeof Usage>;

/**
 * One normalised event of a coding agent, whatever its CLI (Pi, Claude Code, Codex, Gemini, OpenCode). Runtime
 * adapters parse their CLI's stream into these, so runs of different agents can be compared event for event.
 */
export const AgentEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("turn_start"), turn: z.number().int().positive() }),
  z.object({ type: z.literal("turn_end"), turn: z.number().int().positive() }),
  /** The model asked for a tool; `args` is a short JSON rendering (truncated), enough for a progress line. */
  z.object({ type: z.literal("tool_call"), id: z.string(), tool: z.string(), args: z.string() }),
  z.object({ type: z.literal("tool_result"), id: z.string(), tool: z.string(), isError: z.boolean() }),
  z.object({ type: z.literal("assistant_text"), text: z.string() }),
  /** Usage of one model call (not cumulative). */
  z.object({ type: z.literal("usage"), usage: Usage }),
  /** The agent's final answer: what the run "says" (the output of a chain step). */
  z.object({ type: z.literal("final"), text: z.string() }),
  /**
   * One model call as the worker's model proxy metered it (tokens from the provider's response, priced by the
   * cluster's table): the run's cost comes from these, never from the agent's own stream.
   */
  z.object({
    type: z.literal("model_call"),
    provider: z.string(),
    model: z.string(),
    status: z.number().int(),
    streamed: z.boolean(),
    usage: Usage,
    durationMs: z.number().nonnegative(),
    ttfbMs: z.number().nonnegative(),
    error: z.string().optional(),
  }),
  /** The agent reported a failure of its own (model error, abort). */
  z.object({ type: z.literal("agent_error"), message: z.string() }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;

/** Adds one call's usage to a running total (cost stays null only while every part is unpriced). */
export function addUsage(total: Usage, part: Usage): Usage {
  return {
    input: total.input + part.input,
    output: total.output + part.output,
    cacheRead: total.cacheRead + part.cacheRead,
    cacheWrite: total.cacheWrite + part.cacheWrite,
    costUsd: total.costUsd === null && part.costUsd === null ? null : (total.costUsd ?? 0) + (part.costUsd ?? 0),
  };
}

/** Usage of nothing yet. */
export const ZERO_USAGE: Usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: null };
