import { PanCodeError } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { backoffDelay, COORDINATOR_BACKOFF, isTransient, REDELIVERY_BACKOFF } from "./backoff.js";

describe("backoffDelay", () => {
  it("doubles per retry up to the cap, with half of each step random", () => {
    const low = (n: number) => backoffDelay(n, COORDINATOR_BACKOFF, () => 0);
    const high = (n: number) => backoffDelay(n, COORDINATOR_BACKOFF, () => 1);
    expect([1, 2, 3, 4].map(high)).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map(low)).toEqual([250, 500, 1000, 2000]);
    expect(high(7)).toBe(30_000);
    expect(high(1000)).toBe(30_000);
    expect(low(1000)).toBe(15_000);
    // Attempt 0 or less is treated as the first retry, never as no delay.
    expect(high(0)).toBe(500);
  });

  it("spreads workers that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, COORDINATOR_BACKOFF)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
  });

  it("makes max deliveries last minutes of outage, not seconds", () => {
    // The coordinator's and worker's default PANCODE_MAX_DELIVER is 10: nine naks before the message is dropped.
    const shortest = Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1, REDELIVERY_BACKOFF, () => 0));
    expect(shortest.reduce((a, b) => a + b, 0)).toBeGreaterThan(120_000);
  });
});

describe("isTransient", () => {
  it("retries an unreachable coordinator or database, never its decisions", () => {
    expect(isTransient(new PanCodeError("UNAVAILABLE", "down"))).toBe(true);
    expect(isTransient(new PanCodeError("INTERNAL", "db down"))).toBe(true);
    expect(isTransient(new PanCodeError("UNAUTHENTICATED", "session replaced"))).toBe(true);
    expect(isTransient(new Error("socket hang up"))).toBe(true);
    expect(isTransient(new PanCodeError("STALE_ATTEMPT", "superseded"))).toBe(false);
    expect(isTransient(new PanCodeError("INVALID_ARGUMENT", "bad statement"))).toBe(false);
  });
});
