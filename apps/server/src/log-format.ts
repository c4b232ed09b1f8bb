import type { LoggerOptions } from "@pancode/telemetry";

/** What `--log-format` accepts. */
export type LogFormatChoice = "json" | "text";

/**
 * How the services log: as chosen, else readable text when stderr is a terminal (a person is watching) and JSON
 * when it is piped (a collector, a file, a test). Colour only for text on a terminal, and never with NO_COLOR.
 */
export function logOptions(
  choice: LogFormatChoice | undefined,
  stderrIsTerminal: boolean,
  env: Record<string, string | undefined>,
): Pick<LoggerOptions, "format" | "color"> {
  const format = choice ?? (stderrIsTerminal ? "text" : "json");
  return { format, color: format === "text" && stderrIsTerminal && !env.NO_COLOR };
}
