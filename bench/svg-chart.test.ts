import { describe, expect, it } from "vitest";
import { distributionChart, escapeXml, lineChart } from "./svg-chart.js";

/** The numbers of every `attr="..."` in the chart, to check the drawing stays inside its canvas. */
function coordinates(svg: string, attr: string): number[] {
  return [...svg.matchAll(new RegExp(` ${attr}="(-?[\\d.]+)"`, "g"))].map((m) => Number(m[1]));
}

describe("distributionChart", () => {
  const svg = distributionChart({
    title: "pipeline vs docker <run>",
    yLabel: "ms",
    series: [
      { label: "pipeline", values: [300, 310, 320, 900] },
      { label: "docker & co", values: [220, 230] },
    ],
    guides: [{ label: "target", y: 1000 }],
  });

  it("is one well-formed SVG document with the title and labels escaped", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("pipeline vs docker &#60;run&#62;");
    expect(svg).toContain("docker &#38; co");
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("draws a dot per sample and a median per series", () => {
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain("p50 315");
    expect(svg).toContain("p50 225");
  });

  it("keeps every point inside the canvas, the guide included", () => {
    for (const y of coordinates(svg, "cy")) expect(y).toBeGreaterThanOrEqual(40);
    for (const y of coordinates(svg, "cy")) expect(y).toBeLessThanOrEqual(340);
    expect(svg).toContain(">target</text>");
  });

  it("draws an empty series as a label only", () => {
    const empty = distributionChart({ title: "t", yLabel: "ms", series: [{ label: "none", values: [] }] });
    expect(empty).toContain(">none</text>");
    expect(empty).not.toContain("<circle");
    expect(empty).not.toMatch(/NaN/);
  });
});

describe("lineChart", () => {
  it("draws each line with its points in order, higher values higher up", () => {
    const svg = lineChart({
      title: "throughput",
      xLabel: "workers",
      yLabel: "runs/s",
      lines: [
        {
          label: "measured",
          points: [
            [1, 1],
            [2, 2],
            [4, 3.9],
          ],
        },
      ],
    });
    const polyline = svg.match(/<polyline points="([^"]+)"/)?.[1] ?? "";
    const points = polyline.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    expect(points).toHaveLength(3);
    expect(points[0]?.[0]).toBeLessThan(points[2]?.[0] ?? 0);
    expect(points[0]?.[1]).toBeGreaterThan(points[2]?.[1] ?? 0);
    expect(svg).toContain(">measured</text>");
  });

  it("leaves out the markers of a long series but keeps the line", () => {
    const points = Array.from({ length: 200 }, (_, i) => [i, 100 + (i % 3)] as const);
    const svg = lineChart({ title: "rss", xLabel: "runs", yLabel: "MiB", lines: [{ label: "rss", points }] });
    expect(svg).toContain("<polyline");
    expect(svg).not.toContain("<circle");
  });
});

describe("escapeXml", () => {
  it("escapes every character that could end a text node or an attribute", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).not.toMatch(/[<>"'&](?!#)/);
  });
});
