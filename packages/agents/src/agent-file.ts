import { NetworkPolicy } from "@pancode/core";
import { z } from "zod";
import {
  AgentName,
  type AgentSource,
  AgentSpec,
  AgentTool,
  ALL_TOOLS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_TURNS,
  DEFAULT_TIMEOUT_MS,
  EgressHost,
  MAX_TIMEOUT_MS,
  READONLY_TOOLS,
} from "./agent-spec.js";
import { parseDuration } from "./duration.js";
import { type AgentFileError, fileError, issuesToErrors } from "./file-errors.js";
import { splitFrontMatter, withoutNulls } from "./front-matter.js";

/** A file as it travels: its path (relative to the repository root, or absolute on the coordinator) and its text. */
export interface AgentFileInput {
  path: string;
  content: string;
}

/** Largest agent or team file accepted (64 KiB): a system prompt, not a payload. */
export const MAX_AGENT_FILE_BYTES = 64 * 1024;

/** `tools: [read, grep]`, or the original's comma-separated `tools: read, grep`. */
const ToolList = z.preprocess(
  (v) => (typeof v === "string" ? v.split(/[\s,]+/).filter((t) => t !== "") : v),
  z.array(AgentTool),
);

/** `timeout: 600000` (ms) or `timeout: 10m`. */
const Timeout = z.unknown().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined || ms === 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected milliseconds (e.g. 90000) or a duration such as 90s, 10m or 1h, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  if (ms > MAX_TIMEOUT_MS) {
    ctx.addIssue({ code: "custom", message: `expected at most 24h, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

/**
 * The front matter of an agent file. Strict: an unknown key is an error, because a typo in a field such as
 * `readonly` would otherwise silently give a writable agent.
 */
const AgentFrontMatter = z.strictObject({
  name: AgentName.optional(),
  description: z.string().optional(),
  runtime: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, "a runtime name such as pi, claude-code, codex, gemini, opencode or command")
    .optional(),
  model: z.string().optional(),
  image: z.string().optional(),
  tools: ToolList.optional(),
  readonly: z.boolean().optional(),
  maxTurns: z.number().int().nonnegative().optional(),
  timeout: Timeout.optional(),
  limits: z
    .strictObject({
      memoryMb: z.number().int().positive(),
      cpus: z.number().positive(),
      pids: z.number().int().positive(),
    })
    .partial()
    .optional(),
  network: NetworkPolicy.optional(),
  /** Hosts the run may reach through its proxy (HTTP CONNECT), `host:port` each. */
  egress: z.array(EgressHost).optional(),
  /** Expected cost of one run in USD, for the budget until the agent has history. */
  estimate: z.number().nonnegative().optional(),
});

const FRONT_MATTER_FIELDS = Object.keys(AgentFrontMatter.shape);

/** Spec fields whose front matter name differs. */
const FIELD_NAMES: Readonly<Record<string, string>> = { timeoutMs: "timeout", estimateUsd: "estimate" };

function baseName(path: string, ext: RegExp): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(ext, "");
}

/**
 * What a repository may not decide for itself: the files travel with a checkout that may come from anyone, while
 * the image and host networking are the cluster's to grant (host networking reaches the worker's own services).
 */
function repoRefusals(
  path: string,
  source: AgentSource,
  f: { image?: string | undefined; network?: string | undefined },
): AgentFileError[] {
  if (source !== "repo") return [];
  const errors: AgentFileError[] = [];
  if (f.image) {
    errors.push(
      fileError(path, "image", "only cluster agents may choose an image; repository agents use the cluster's"),
    );
  }
  if (f.network === "host") {
    errors.push(fileError(path, "network", "only cluster agents may use host networking; use bridge or none"));
  }
  return errors;
}

/**
 * Parses one agent file into a spec, with the defaults of its runtime: no network (coding runtimes reach their model
 * through the worker's model proxy; `network: bridge` asks for open egress), all tools (or the read-only ones) and a turn limit; `command` gets none of them. The name defaults to the file name.
 */
export function parseAgentFile(
  file: AgentFileInput,
  source: AgentSource,
): { ok: true; agent: AgentSpec } | { ok: false; errors: AgentFileError[] } {
  const bytes = Buffer.byteLength(file.content);
  if (bytes > MAX_AGENT_FILE_BYTES) {
    return {
      ok: false,
      errors: [fileError(file.path, "", `file is ${bytes} bytes, over the limit of ${MAX_AGENT_FILE_BYTES}`)],
    };
  }
  const split = splitFrontMatter(file.content);
  if (!split.ok) return { ok: false, errors: [fileError(file.path, "", split.problem)] };
  const fm = AgentFrontMatter.safeParse(withoutNulls(split.data), { reportInput: true });
  if (!fm.success) return { ok: false, errors: issuesToErrors(file.path, fm.error, FRONT_MATTER_FIELDS) };
  const f = fm.data;
  const refused = repoRefusals(file.path, source, f);
  if (refused.length > 0) return { ok: false, errors: refused };
  const runtime = f.runtime ?? "pi";
  const coding = runtime !== "command";
  const readonly = f.readonly ?? false;
  const spec = AgentSpec.safeParse(
    {
      name: f.name ?? baseName(file.path, /\.md$/i),
      description: f.description ?? "",
      runtime,
      model: f.model ?? "",
      image: f.image ?? "",
      tools: f.tools ?? (coding ? (readonly ? READONLY_TOOLS : ALL_TOOLS) : []),
      readonly,
      maxTurns: f.maxTurns ?? (coding ? DEFAULT_MAX_TURNS : 0),
      timeoutMs: f.timeout ?? DEFAULT_TIMEOUT_MS,
      limits: { ...DEFAULT_LIMITS, ...f.limits },
      network: f.network ?? "none",
      egress: f.egress ?? [],
      prompt: split.body.trim(),
      ...(f.estimate !== undefined ? { estimateUsd: f.estimate } : {}),
      source,
    },
    { reportInput: true },
  );
  if (!spec.success) {
    const errors = issuesToErrors(file.path, spec.error, FRONT_MATTER_FIELDS).map((e) => {
      const field = FIELD_NAMES[e.field] ?? e.field;
      return field === e.field ? e : fileError(file.path, field, e.problem);
    });
    return { ok: false, errors };
  }
  return { ok: true, agent: spec.data };
}

/**
 * Parses agent files (Markdown with YAML front matter; the body is the system prompt). Every problem becomes an
 * {@link AgentFileError} naming the file and field; a broken file never affects the others. When two files define
 * the same name, the first one (in the given order) is kept and the other is reported.
 */
export function loadAgentFiles(
  files: readonly AgentFileInput[],
  source: "repo" | "cluster",
): { agents: AgentSpec[]; errors: AgentFileError[] } {
  const agents: AgentSpec[] = [];
  const errors: AgentFileError[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const result = parseAgentFile(file, source);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const first = seen.get(result.agent.name);
    if (first !== undefined) {
      errors.push(fileError(file.path, "name", `agent "${result.agent.name}" is already defined in ${first}`));
      continue;
    }
    seen.set(result.agent.name, file.path);
    agents.push(result.agent);
  }
  return { agents, errors };
}
