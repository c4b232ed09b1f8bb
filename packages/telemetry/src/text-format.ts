import type { LogMeta } from "@pancode/core";

/** Severity of a log line, lowest first. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** A line as pino wrote it, before the text format reads it back. */
export type JsonLine = { ts: string; level: LogLevel; msg: string } & LogMeta;

/** ANSI colour of each level on a terminal: errors red, warnings yellow, the rest quiet. */
const LEVEL_COLOR: Record<LogLevel, string> = {
  trace: "\u001b[90m",
  debug: "\u001b[90m",
  info: "\u001b[32m",
  warn: "\u001b[33m",
  error: "\u001b[31m",
};
const RESET = "\u001b[0m";
/** Width of the component column: the longest of ours ("job-runner", "coordinator") fits. */
const COMPONENT_WIDTH = 12;

/**
 * One readable line: local time of day, level, component, message, then the other fields as key=value
 * from the JSON line pino wrote (`12:00:00.123 WARN  worker       claim failed  runId=r1 error={"message":"boom"}`).
 */
export function formatText(line: JsonLine, color: boolean): string {
  const { ts, level: levelName, msg, component, ...rest } = line;
  const level = levelName.toUpperCase().padEnd(5);
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [
    timeOfDay(new Date(ts)),
    color ? `${LEVEL_COLOR[levelName]}${level}${RESET}` : level,
    String(component ?? "").padEnd(COMPONENT_WIDTH),
    fields.length > 0 ? `${msg}  ${fields.join(" ")}` : msg,
  ].join(" ");
}

function timeOfDay(ts: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(ts.getHours())}:${two(ts.getMinutes())}:${two(ts.getSeconds())}.${String(ts.getMilliseconds()).padStart(3, "0")}`;
}

// Plain words stay bare; anything with spaces, quotes or '=' is quoted, so a line still splits into fields.
function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
