import type { z } from "zod";

/** One problem of one agent, team or config file, phrased for the person who wrote it. */
export interface AgentFileError {
  /** The file, as the caller named it (e.g. `.pancode/agents/x.md`). */
  path: string;
  /** Dotted field path (`readonly`, `limits.memoryMb`, `tools[2]`), or "" for the file as a whole. */
  field: string;
  /** What is wrong, e.g. `expected true or false, got "yes"`. */
  problem: string;
  /** The whole line: `<path>: field "<field>": <problem>`. */
  message: string;
}

/** Builds an {@link AgentFileError}; an empty `field` means the file itself. */
export function fileError(path: string, field: string, problem: string): AgentFileError {
  const message = field ? `${path}: field "${field}": ${problem}` : `${path}: ${problem}`;
  return { path, field, problem, message };
}

/** Words for zod's type names, as someone writing YAML thinks of them. */
const EXPECTED: Readonly<Record<string, string>> = {
  boolean: "true or false",
  number: "a number",
  int: "a whole number",
  string: "text",
  array: "a list",
  object: "a mapping (key: value lines)",
};

/** A short rendering of a value the user wrote. */
function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
}

function problemOf(issue: z.core.$ZodIssue): string {
  const got = `got ${shown(issue.input)}`;
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `is required (${EXPECTED[issue.expected] ?? issue.expected})`;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, ${got}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => String(v)).join(", ")}, ${got}`;
    case "too_small":
      if (issue.origin === "array") return `expected at least ${issue.minimum} item(s)`;
      if (issue.origin === "string") return `expected at least ${issue.minimum} character(s), ${got}`;
      return `expected a number ${issue.inclusive ? ">=" : ">"} ${issue.minimum}, ${got}`;
    case "too_big":
      if (issue.origin === "array") return `expected at most ${issue.maximum} item(s)`;
      if (issue.origin === "string") return `expected at most ${issue.maximum} character(s)`;
      return `expected a number ${issue.inclusive ? "<=" : "<"} ${issue.maximum}, ${got}`;
    case "invalid_format":
      return `expected ${issue.message}, ${got}`;
    default:
      return issue.message;
  }
}

/**
 * Turns a failed zod parse of `path` into one error per issue. Unknown keys become one error each, listing the
 * fields that exist, so a typo such as `readOnly` is caught rather than silently ignored.
 */
export function issuesToErrors(path: string, error: z.ZodError, knownFields: readonly string[]): AgentFileError[] {
  const errors: AgentFileError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const prefix = fieldOf(issue.path);
      for (const key of issue.keys) {
        const known = issue.path.length === 0 ? `; known fields: ${knownFields.join(", ")}` : "";
        errors.push(fileError(path, prefix ? `${prefix}.${key}` : key, `unknown field${known}`));
      }
      continue;
    }
    errors.push(fileError(path, fieldOf(issue.path), problemOf(issue)));
  }
  return errors;
}
