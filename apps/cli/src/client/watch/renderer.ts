import { escapeControl, writeRaw } from "../../terminal-text.js";
import { formatRunLine, isFinal, progressBar, type RunState } from "./run-state.js";

/** Where the live view writes (stdout for `watch`, stderr for `dispatch --wait`). */
export interface ViewOutput {
  write(text: string): unknown;
  /** Terminal width, when known: lines are cut to it, since a wrapped line would break the cursor arithmetic. */
  columns?: number;
  /** Terminal height, when known: a frame never grows past it (the cursor cannot move above the screen). */
  rows?: number;
}

/** Shows the state of a set of runs; `render` is called on every change and on every clock tick. */
export interface Renderer {
  render(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void;
  /** Last render: the final state stays on screen. */
  finish(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void;
}

/** A titled group of runs (batch, chain), with the number of runs it will have in total when known. */
export interface GroupInfo {
  title: string;
  /** Expected number of runs; the runs seen so far when 0. */
  total: number;
  /** What the group is, its id and status, for the JSON view. */
  kind?: "batch" | "chain" | "refine";
  id?: string;
  status?: string;
}

const ESC = "\u001b[";

function groupLine(runs: readonly RunState[], group: GroupInfo): string {
  const ended = runs.filter((r) => isFinal(r.status)).length;
  return `${group.title}  ${progressBar(ended, Math.max(group.total, runs.length))}`;
}

/**
 * Redraws the whole view in place with ANSI cursor movement: the cursor goes back up over the previous frame and
 * every line is cleared before it is rewritten, so shorter lines leave no residue. No TUI library needed.
 */
export class TtyRenderer implements Renderer {
  private previousLines = 0;

  constructor(private readonly out: ViewOutput) {}

  render(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    // Run text (task, tool names) is escaped here: the frame itself is written past the terminal guard.
    const lines = runs.map((r) => escapeControl(formatRunLine(r, now)));
    if (group) lines.unshift(escapeControl(groupLine(runs, group)));
    const height = this.out.rows ?? 0;
    if (height > 2 && lines.length > height - 1) {
      const hidden = lines.length - (height - 2);
      lines.splice(height - 2, hidden, `... and ${hidden} more (pancode runs lists them all)`);
    }
    const width = this.out.columns ?? 0;
    if (width > 1) for (let i = 0; i < lines.length; i++) lines[i] = (lines[i] ?? "").slice(0, width - 1);
    let frame = this.previousLines > 0 ? `${ESC}${this.previousLines}F` : "";
    for (const line of lines) frame += `${ESC}2K${line}\n`;
    // A frame with fewer lines than the last one (cannot happen today, runs are never removed) would leave rows.
    for (let i = lines.length; i < this.previousLines; i++) frame += `${ESC}2K\n`;
    this.previousLines = Math.max(lines.length, this.previousLines);
    writeRaw(this.out, frame);
  }

  finish(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    this.render(runs, group, now);
  }
}

/**
 * For pipes and logs: one plain line per change of a run (status, turn, tool, tokens, cost), never cursor codes,
 * and nothing on clock ticks, so the output is a readable history.
 */
export class PlainRenderer implements Renderer {
  private readonly last = new Map<string, string>();
  private lastGroup = "";

  constructor(private readonly out: ViewOutput) {}

  render(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    for (const run of runs) {
      // Elapsed time is left out of the change test: it changes on every tick.
      const key = formatRunLine({ ...run, since: null, durationMs: -1 }, now);
      if (this.last.get(run.id) === key) continue;
      this.last.set(run.id, key);
      this.out.write(`${formatRunLine(run, now)}\n`);
    }
    if (group) {
      const line = groupLine(runs, group);
      if (line !== this.lastGroup) {
        this.lastGroup = line;
        this.out.write(`${line}\n`);
      }
    }
  }

  finish(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    this.render(runs, group, now);
  }
}
