import type { RunEvent } from "../gen/pancode/v1/common.js";

/** One run event as `pancode logs --json` and the HTTP API show it. */
export interface RunEventJson {
  seq: number;
  at: string;
  kind: string;
  text: string;
}

/** Converts a run event from the wire into its JSON shape. */
export function runEventJson(e: RunEvent): RunEventJson {
  return { seq: e.seq, at: e.at, kind: e.kind, text: e.text };
}
