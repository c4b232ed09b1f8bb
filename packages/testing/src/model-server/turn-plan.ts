import type { Scenario } from "./scenario.js";

/** Text answered once a conversation has used every scripted turn. */
export const EXHAUSTED_TEXT = "(scenario exhausted)";

/** A tool call ready to put on the wire. */
export interface PlannedToolCall {
  id: string;
  /** True when the scenario set no id and `id` was generated (Gemini then sends none, like the real API). */
  generatedId: boolean;
  name: string;
  arguments: Record<string, unknown>;
  /** `arguments` as the JSON text the APIs stream in fragments. */
  argumentsJson: string;
}

/** Usage with every field present; `input` excludes cached tokens. */
export interface PlannedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** What one answer contains, independent of the wire format that carries it. */
export interface TurnPlan {
  /** Zero-based turn index (assistant messages already in the history). */
  index: number;
  /** True past the last scripted turn. */
  exhausted: boolean;
  text: string;
  toolCalls: PlannedToolCall[];
  usage: PlannedUsage;
  delayMs: number;
  chunkDelayMs: number;
}

/** Options for {@link planTurn}. */
export interface PlanTurnOptions {
  /** Characters of the request (system prompt, messages, tool names), for estimating input tokens. */
  inputChars: number;
  /** Prefix for generated tool call ids, as the real API spells them (`call_`, `toolu_`). */
  idPrefix: string;
}

/**
 * Picks the scripted turn for a conversation that already holds `index` assistant messages. Deterministic, so
 * concurrent conversations and client retries of the same request get the same answer.
 */
export function planTurn(scenario: Scenario, index: number, options: PlanTurnOptions): TurnPlan {
  const turn = scenario.turns[index];
  const text = turn ? (turn.text ?? "") : EXHAUSTED_TEXT;
  const toolCalls = (turn?.toolCalls ?? []).map((call, i) => ({
    // Index-based ids are unique within one conversation, which is all the APIs require.
    id: call.id ?? `${options.idPrefix}t${index}_${i}`,
    generatedId: call.id === undefined,
    name: call.name,
    arguments: call.arguments,
    argumentsJson: JSON.stringify(call.arguments),
  }));
  const outputChars =
    text.length + toolCalls.reduce((sum, call) => sum + call.name.length + call.argumentsJson.length, 0);
  const usage: PlannedUsage = turn?.usage
    ? {
        input: turn.usage.input,
        output: turn.usage.output,
        cacheRead: turn.usage.cacheRead ?? 0,
        cacheWrite: turn.usage.cacheWrite ?? 0,
      }
    : { input: estimateTokens(options.inputChars), output: estimateTokens(outputChars), cacheRead: 0, cacheWrite: 0 };
  return {
    index,
    exhausted: turn === undefined,
    text,
    toolCalls,
    usage,
    delayMs: turn?.delayMs ?? 0,
    chunkDelayMs: turn?.chunkDelayMs ?? 0,
  };
}

/** Rough token count: 4 characters a token, at least 1. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

/**
 * Splits text into streaming pieces of about `size` characters at word boundaries, so clients see several deltas.
 * Joining the pieces gives back `text` exactly.
 */
export function splitText(text: string, size = 16): string[] {
  const words = text.match(/\s*\S+\s*|\s+/g) ?? [];
  const pieces: string[] = [];
  let current = "";
  for (const word of words) {
    if (current.length > 0 && current.length + word.length > size) {
      pieces.push(current);
      current = "";
    }
    current += word;
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}

/**
 * Splits a string into fragments of at most `size` code points. Never cuts a surrogate pair: strict JSON parsers
 * (serde in Codex) reject a lone surrogate in a fragment.
 */
export function splitFragments(value: string, size = 12): string[] {
  const points = Array.from(value);
  const fragments: string[] = [];
  for (let i = 0; i < points.length; i += size) fragments.push(points.slice(i, i + size).join(""));
  return fragments;
}
