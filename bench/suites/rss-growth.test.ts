import { describe, expect, it } from "vitest";
import { rssGrowth } from "./rss-growth.js";

const at = (ended: number, rssMb: number) => ({ seconds: ended / 10, ended, rssMb });

describe("rssGrowth", () => {
  it("compares the sample after the first 1,000 runs with the highest one in the last 1,000", () => {
    const samples = [
      at(0, 90),
      at(500, 120),
      at(1000, 130),
      at(5000, 200),
      at(9000, 150),
      at(9500, 170),
      at(10_000, 140),
    ];
    expect(rssGrowth(samples, 10_000)).toEqual({ window: 1000, firstMb: 130, lastMb: 170 });
  });

  it("uses a tenth of a shorter soak as the window", () => {
    const samples = [at(0, 90), at(100, 110), at(500, 111), at(950, 115), at(1000, 112)];
    expect(rssGrowth(samples, 1000)).toEqual({ window: 100, firstMb: 110, lastMb: 115 });
  });

  it("falls back to the first and last samples when no sample falls in a window", () => {
    expect(rssGrowth([at(0, 100), at(10, 104)], 50)).toEqual({ window: 5, firstMb: 104, lastMb: 104 });
    expect(rssGrowth([at(0, 100)], 10_000)).toEqual({ window: 1000, firstMb: 100, lastMb: 100 });
  });
});
