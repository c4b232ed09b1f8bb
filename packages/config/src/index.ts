/**
 * @pancode/config: helpers to parse configuration with zod exactly once per app.
 *
 * ```ts
 * const Config = z.object({ PANCODE_WORKER_CONCURRENCY: PositiveIntEnv.default(4) });
 * const config = parseConfig(Config, process.env); // throws ConfigError listing every problem
 * ```
 */
export { BoolEnv, ConfigError, ListenAddressEnv, OptionalStringEnv, PositiveIntEnv, parseConfig } from "./env.js";
export { DurationMsEnv, MibEnv, PositiveNumberEnv, parseDurationMs, parseMib } from "./units.js";
