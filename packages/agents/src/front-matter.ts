import { parse } from "yaml";

/** A Markdown file split into its YAML front matter (parsed) and its body. */
export type FrontMatterResult = { ok: true; data: unknown; body: string } | { ok: false; problem: string };

/** `---` line, YAML, `---` line, body. `m` so that `^` matches at every line start. */
const FRONT_MATTER = /^---[ \t]*\n([\s\S]*?)^---[ \t]*$\n?([\s\S]*)/m;

/** First line of a parser message: the rest is a code excerpt that does not belong in a one-line error. */
function firstLine(message: string): string {
  return message.split("\n")[0]?.trim() ?? message;
}

/**
 * Splits `content` into front matter and body. Tolerates a byte-order mark and CRLF line endings. Fails, with a
 * problem phrased for the author, when there is no front matter block or its YAML does not parse.
 */
export function splitFrontMatter(content: string): FrontMatterResult {
  const text = content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (!text.startsWith("---")) {
    return { ok: false, problem: "missing YAML front matter: the file must start with a --- line" };
  }
  const match = FRONT_MATTER.exec(text);
  if (match?.index !== 0) {
    return { ok: false, problem: "unterminated YAML front matter: no closing --- line" };
  }
  let data: unknown;
  try {
    data = parse(match[1] ?? "");
  } catch (err) {
    return { ok: false, problem: `front matter is not valid YAML: ${firstLine((err as Error).message)}` };
  }
  return { ok: true, data: data ?? {}, body: match[2] ?? "" };
}

/** Parses a whole YAML file (teams, cluster config); fails with the parser's first message line. */
export function parseYamlText(text: string): { ok: true; data: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, data: parse(text) ?? {} };
  } catch (err) {
    return { ok: false, problem: `not valid YAML: ${firstLine((err as Error).message)}` };
  }
}

/** Drops keys whose value is null (`model:` with nothing after it), so they mean "not set" rather than an error. */
export function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}
