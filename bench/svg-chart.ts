/**
 * A small dependency-free SVG writer for the bench's charts: latency distributions side by side (box and dots) and
 * x/y lines (throughput against workers, RSS over a soak). Plain strings, so a chart is a file any browser or
 * image viewer opens; nothing here needs a DOM.
 */
import { percentile } from "./stats.js";

/** One distribution to draw: its label and every sample. */
export interface Distribution {
  label: string;
  values: readonly number[];
}

/** One line to draw: its label and its points in data units. */
export interface Line {
  label: string;
  points: readonly (readonly [number, number])[];
}

/** A horizontal reference line (a target) in data units of the y axis. */
export interface Guide {
  label: string;
  y: number;
}

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 60 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const colour = (i: number) => COLOURS[i % COLOURS.length] as string;
const num = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : 0);

/** A readable number for an axis tick: no more digits than the range needs. */
function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return String(Math.round(value * 10) / 10);
  return String(Math.round(value * 1000) / 1000);
}

/** Y range from 0 (or the lowest value when negative) to a little above the largest value and every guide. */
function yRange(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  const max = Math.max(1e-9, ...finite);
  const min = Math.min(0, ...finite);
  return [min, max * 1.1];
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + PLOT_H}" x2="${MARGIN.left + PLOT_W}" y2="${MARGIN.top + PLOT_H}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + PLOT_H}" stroke="black"/>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${MARGIN.top + PLOT_H / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + PLOT_H / 2})">${escapeXml(yLabel)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function yAxis(scaleY: (v: number) => number, [lo, hi]: [number, number]): string[] {
  const out: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    const y = num(scaleY(v));
    out.push(
      `<line x1="${MARGIN.left - 4}" y1="${y}" x2="${MARGIN.left + PLOT_W}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${tickLabel(v)}</text>`,
    );
  }
  return out;
}

function guides(list: readonly Guide[], scaleY: (v: number) => number): string[] {
  return list.flatMap((g) => {
    const y = num(scaleY(g.y));
    return [
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + PLOT_W}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + PLOT_W - 4}" y="${y - 4}" text-anchor="end" fill="#555">${escapeXml(g.label)}</text>`,
    ];
  });
}

/**
 * Distributions side by side: per series a box from p25 to p75 with the median as a thick line, whiskers to min and
 * max, and every sample as a dot, so a bimodal series shows as two clusters rather than one wide box.
 */
export function distributionChart(options: {
  title: string;
  yLabel: string;
  series: readonly Distribution[];
  guides?: readonly Guide[];
}): string {
  const all = options.series.flatMap((s) => s.values).concat((options.guides ?? []).map((g) => g.y));
  const range = yRange(all);
  const scaleY = (v: number) => MARGIN.top + PLOT_H - ((v - range[0]) / (range[1] - range[0])) * PLOT_H;
  const slot = PLOT_W / Math.max(1, options.series.length);
  const body = [...yAxis(scaleY, range)];
  options.series.forEach((s, i) => {
    const sorted = s.values.filter(Number.isFinite).sort((a, b) => a - b);
    const cx = MARGIN.left + slot * (i + 0.5);
    const half = Math.min(40, slot / 4);
    const c = colour(i);
    body.push(`<text x="${num(cx)}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${escapeXml(s.label)}</text>`);
    if (sorted.length === 0) return;
    const [lo, q1, med, q3, hi] = [0, 25, 50, 75, 100].map((p) => scaleY(percentile(sorted, p))) as number[];
    body.push(
      `<line x1="${num(cx)}" y1="${num(lo as number)}" x2="${num(cx)}" y2="${num(hi as number)}" stroke="${c}"/>`,
      `<rect x="${num(cx - half)}" y="${num(q3 as number)}" width="${num(half * 2)}" height="${num((q1 as number) - (q3 as number))}" fill="${c}" fill-opacity="0.15" stroke="${c}"/>`,
      `<line x1="${num(cx - half)}" y1="${num(med as number)}" x2="${num(cx + half)}" y2="${num(med as number)}" stroke="${c}" stroke-width="3"/>`,
      `<text x="${num(cx + half + 4)}" y="${num((med as number) + 4)}" fill="${c}">p50 ${tickLabel(percentile(sorted, 50))}</text>`,
    );
    sorted.forEach((v, j) => {
      // Spread the dots sideways so equal values do not hide each other.
      const dx = ((j % 7) - 3) * (half / 5);
      body.push(`<circle cx="${num(cx + dx)}" cy="${num(scaleY(v))}" r="2" fill="${c}" fill-opacity="0.6"/>`);
    });
  });
  body.push(...guides(options.guides ?? [], scaleY));
  return frame(options.title, "", options.yLabel, body);
}

/** X/y lines with a marker on every point and a legend; the x axis spans the data, the y axis starts at 0. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: readonly Line[];
  guides?: readonly Guide[];
}): string {
  const xs = options.lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = options.lines.flatMap((l) => l.points.map((p) => p[1])).concat((options.guides ?? []).map((g) => g.y));
  const xLo = Math.min(0, ...xs);
  const xHi = Math.max(xLo + 1e-9, ...xs);
  const range = yRange(ys);
  const scaleX = (v: number) => MARGIN.left + ((v - xLo) / (xHi - xLo)) * PLOT_W;
  const scaleY = (v: number) => MARGIN.top + PLOT_H - ((v - range[0]) / (range[1] - range[0])) * PLOT_H;
  const body = [...yAxis(scaleY, range)];
  for (let i = 0; i <= 5; i++) {
    const v = xLo + ((xHi - xLo) * i) / 5;
    body.push(
      `<text x="${num(scaleX(v))}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  }
  options.lines.forEach((line, i) => {
    const c = colour(i);
    const path = line.points.map((p) => `${num(scaleX(p[0]))},${num(scaleY(p[1]))}`).join(" ");
    body.push(`<polyline points="${path}" fill="none" stroke="${c}" stroke-width="2"/>`);
    if (line.points.length <= 50) {
      for (const p of line.points) {
        body.push(`<circle cx="${num(scaleX(p[0]))}" cy="${num(scaleY(p[1]))}" r="3" fill="${c}"/>`);
      }
    }
    body.push(
      `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 14 + i * 16}" fill="${c}">${escapeXml(line.label)}</text>`,
    );
  });
  body.push(...guides(options.guides ?? [], scaleY));
  return frame(options.title, options.xLabel, options.yLabel, body);
}
