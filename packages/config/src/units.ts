import { z } from "zod";

const MIB_PER_UNIT: Readonly<Record<string, number>> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt])?(?:i?b)?$/i;

/**
 * A memory size as Docker and humans write it, in whole MiB: `8g`, `512m`, `2GiB`, `1.5t`; a bare number is MiB.
 * Undefined for anything else (negative, empty, another unit).
 */
export function parseMib(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const mib = Number(match[1]) * (MIB_PER_UNIT[(match[2] ?? "m").toLowerCase()] ?? 1);
  return Number.isFinite(mib) ? Math.floor(mib) : undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/** A duration in whole ms: `2h`, `90m`, `30s`, `1500ms`; a bare number is ms. Undefined for anything else. */
export function parseDurationMs(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1));
}

/** A positive memory size read from the environment, in MiB (see {@link parseMib}). */
export const MibEnv = z.string().transform((value, ctx) => {
  const mib = parseMib(value);
  if (mib === undefined || mib <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a size such as 8g or 512m, got "${value}"` });
    return z.NEVER;
  }
  return mib;
});

/** A positive duration read from the environment, in ms (see {@link parseDurationMs}). */
export const DurationMsEnv = z.string().transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as 2h, 90m or 30s, got "${value}"` });
    return z.NEVER;
  }
  return ms;
});

/** A positive number read from the environment (CPU cores, fractions allowed). */
export const PositiveNumberEnv = z.coerce.number().positive();
