import { PanCodeError } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { withFetchRetries } from "./run-execution.js";

describe("withFetchRetries", () => {
  it("stops retrying a blob once the workspace it was for is abandoned", async () => {
    const abandon = new AbortController();
    let calls = 0;
    const fetching = withFetchRetries(
      "sha256:state",
      async () => {
        calls++;
        // The bundle import fails for good while this blob is between retries.
        setImmediate(() => abandon.abort());
        throw new PanCodeError("UNAVAILABLE", "coordinator away");
      },
      abandon.signal,
    );
    await expect(fetching).rejects.toThrow("coordinator away");
    // Without the abandon signal it would call four more times over about 7 s of backoff.
    expect(calls).toBe(1);
  });

  it("rethrows a final answer at once and returns what a retry fetched", async () => {
    await expect(
      withFetchRetries("sha256:gone", async () => {
        throw new PanCodeError("NOT_FOUND", "no such blob");
      }),
    ).rejects.toThrow("no such blob");
    let calls = 0;
    const value = await withFetchRetries("sha256:flaky", async () => {
      if (++calls === 1) throw new PanCodeError("UNAVAILABLE", "blip");
      return "bytes";
    });
    expect({ value, calls }).toEqual({ value: "bytes", calls: 2 });
  });
});
