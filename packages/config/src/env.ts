import { z } from "zod";

/**
 * A boolean environment variable. Unlike `z.coerce.boolean()`, the strings "false", "0", "no" and "" parse to
 * false, so `FOO=false` means what it says.
 */
export const BoolEnv = z
  .union([z.boolean(), z.string()])
  .transform((value) =>
    typeof value === "boolean" ? value : ["true", "1", "yes", "on"].includes(value.toLowerCase()),
  );

/** A positive integer read from the environment (counts, milliseconds, bytes). */
export const PositiveIntEnv = z.coerce.number().int().positive();

/** An optional string: unset and empty both become "". */
export const OptionalStringEnv = z
  .string()
  .optional()
  .transform((value) => value ?? "");

/** Thrown by {@link parseConfig}: every problem of the configuration at once, one per line. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses `input` with `schema`, collecting every issue as `NAME: message` so a user fixes all of them in one go.
 * Apps call this once, in main.ts, and exit(1) on failure.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`));
}

/**
 * PANCODE_METRICS_LISTEN: host:port of a process's ops listener (/metrics, /healthz, /readyz). Unset: nothing
 * listens that nobody asked for; 127.0.0.1:9464 is the conventional choice.
 */
export const ListenAddressEnv = z
  .string()
  .regex(/^$|^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:9464")
  .optional()
  .transform((value) => value ?? "");
