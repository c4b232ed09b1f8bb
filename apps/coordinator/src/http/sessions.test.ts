import { describe, expect, it } from "vitest";
import { SESSION_TTL_MS, SessionStore } from "./sessions.js";

describe("SessionStore", () => {
  it("ends a session after 12 h, or when its token expires if that is sooner", () => {
    let now = 1_000_000;
    const store = new SessionStore(() => now);
    const long = store.open("pct_a", 0);
    const short = store.open("pct_b", now + 60_000);
    expect(long.session.expiresAt).toBe(now + SESSION_TTL_MS);
    expect(store.get(short.id)?.token).toBe("pct_b");
    now += 60_000;
    expect(store.get(short.id)).toBeUndefined();
    expect(store.get(long.id)?.token).toBe("pct_a");
    now += SESSION_TTL_MS;
    expect(store.get(long.id)).toBeUndefined();
  });

  it("hands out unguessable ids and forgets a closed session", () => {
    const store = new SessionStore();
    const a = store.open("pct_a", 0);
    const b = store.open("pct_a", 0);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    store.close(a.id);
    expect(store.get(a.id)).toBeUndefined();
    expect(store.get(b.id)).toBeDefined();
  });
});
