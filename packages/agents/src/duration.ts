const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/**
 * Parses a duration as agent files write it: a number of milliseconds (`90000`, also as a string) or a number with
 * a unit, `ms`, `s`, `m` or `h` (`90s`, `10m`, `1.5h`). Returns whole milliseconds, or undefined when `value` is
 * neither (including negative numbers and NaN), so callers can say what they expected.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== "string") return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  return Math.round(amount * (UNIT_MS[match[2] ?? "ms"] ?? 1));
}
