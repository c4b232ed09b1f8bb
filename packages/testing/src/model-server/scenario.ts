import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { PanCodeError } from "@pancode/core";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** One scripted tool call of a turn. `id` is generated per API (`call_…`, `toolu_…`) when absent. */
export const ScenarioToolCall = z.strictObject({
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only")
    .optional(),
});
export type ScenarioToolCall = z.infer<typeof ScenarioToolCall>;

/**
 * Token usage a turn reports. `input` excludes cached tokens (Anthropic semantics); the OpenAI and Gemini wire
 * formats report `input + cacheRead + cacheWrite` as prompt tokens, with the cached part broken out.
 */
export const ScenarioUsage = z.strictObject({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cacheRead: z.number().int().nonnegative().optional(),
  cacheWrite: z.number().int().nonnegative().optional(),
});
export type ScenarioUsage = z.infer<typeof ScenarioUsage>;

/** One scripted assistant answer: text, tool calls or both. */
export const ScenarioTurn = z
  .strictObject({
    /** Assistant text (may be "" for a deliberately empty answer). */
    text: z.string().optional(),
    toolCalls: z.array(ScenarioToolCall).optional(),
    /** Reported usage. @default estimated from request and answer lengths (4 characters a token) */
    usage: ScenarioUsage.optional(),
    /** Milliseconds to wait before answering at all (exercises timeouts and per-run cost caps). @default 0 */
    delayMs: z.number().int().nonnegative().optional(),
    /** Milliseconds between streamed chunks. @default 0 */
    chunkDelayMs: z.number().int().nonnegative().optional(),
  })
  // A turn with neither is almost always a typo (e.g. `tool_calls:`), which strictObject reports; this catches `{}`.
  .refine((turn) => turn.text !== undefined || (turn.toolCalls?.length ?? 0) > 0, {
    message: "a turn needs `text` or at least one entry in `toolCalls`",
  });
export type ScenarioTurn = z.infer<typeof ScenarioTurn>;

/** A scripted conversation: the model's answers in order, one per assistant turn. */
export const Scenario = z.strictObject({
  name: z.string().min(1),
  turns: z.array(ScenarioTurn),
});
export type Scenario = z.infer<typeof Scenario>;

/** A scenario file may omit `name`; it then defaults to the file name without extension. */
const ScenarioFile = Scenario.extend({ name: z.string().min(1).optional() });

/**
 * Reads a scenario from a YAML (`.yaml`, `.yml`) or JSON file and validates it. Throws NOT_FOUND when the file cannot
 * be read and CONFIG_INVALID, naming the file and every bad field (`turns.1.toolCalls.0.name: …`), when it is not a
 * valid scenario.
 */
export async function loadScenario(path: string): Promise<Scenario> {
  let source: string;
  try {
    source = await readFile(path, "utf8");
  } catch (err) {
    throw new PanCodeError("NOT_FOUND", `Cannot read scenario file ${path}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === ".json" ? JSON.parse(source) : parseYaml(source);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PanCodeError("CONFIG_INVALID", `Scenario file ${path} is not valid YAML/JSON: ${reason}`, { cause: err });
  }
  const parsed = ScenarioFile.safeParse(raw);
  if (!parsed.success) {
    throw new PanCodeError("CONFIG_INVALID", `Invalid scenario file ${path}: ${formatIssues(parsed.error)}`);
  }
  return { ...parsed.data, name: parsed.data.name ?? basename(path, extname(path)) };
}

/**
 * Validates a scenario built in code, so a test gets the same clear message as for a file. `label` names it in the
 * error (e.g. the model id it is registered under).
 */
export function parseScenario(value: unknown, label: string): Scenario {
  const parsed = Scenario.safeParse(value);
  if (!parsed.success) {
    throw new PanCodeError("INVALID_ARGUMENT", `Invalid scenario ${label}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** True when `value` looks like one scenario (has a `turns` array) rather than a map of model id to scenario. */
export function isSingleScenario(value: unknown): value is Scenario {
  return typeof value === "object" && value !== null && Array.isArray((value as { turns?: unknown }).turns);
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
