import { StringDecoder } from "node:string_decoder";

/**
 * Characters a terminal acts on rather than shows: C0 controls except newline and tab (ESC starts CSI/OSC
 * sequences that retitle the window, move the cursor, clear or hide lines), a carriage return not ending a line
 * (it overwrites the line), DEL, the C1 controls (U+0080-U+009F, single-character CSI/OSC in some terminals) and
 * the bidirectional overrides that make a file name read differently from what it is.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's purpose.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/**
 * `text` with every control character shown as its `\uXXXX` escape, so text that came from a run or a repository
 * (output, file names, agent descriptions, error messages) can never drive the terminal it is printed on.
 * Newlines and tabs stay. The escapes are JSON's, so JSON printed on a terminal stays valid JSON.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

type Write = NodeJS.WriteStream["write"];

/** The unguarded `write` of a guarded stream: the CLI's own cursor codes (the live view), `logs --raw`, `diff`. */
const RAW_WRITE = Symbol("pancode.rawWrite");

interface Guarded {
  [RAW_WRITE]?: (chunk: string | Uint8Array) => boolean;
}

/**
 * The output boundary: everything written to `stream` passes through {@link escapeControl} (bytes are decoded as
 * UTF-8 first). Pipes too: `pancode logs | tee` or `| less -R` still ends on a terminal. JSON output is unchanged
 * in meaning (JSON.stringify already escapes C0; a DEL or C1 becomes the equivalent `\uXXXX`). What must stay
 * byte-exact goes through {@link writeRaw}: `pancode diff` into a pipe or file, `pancode logs --raw`. Installed
 * once on stdout and stderr by the CLI's entry points.
 */
export function guardTerminal(stream: NodeJS.WriteStream): void {
  const guarded = stream as NodeJS.WriteStream & Guarded;
  if (guarded[RAW_WRITE]) return;
  const original = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  const decoder = new StringDecoder("utf8");
  guarded[RAW_WRITE] = (chunk) => original(chunk);
  guarded.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : decoder.write(Buffer.from(chunk));
    return original(escapeControl(text), ...rest);
  }) as Write;
}

/**
 * Writes `text` exactly as given, past the guard. Only for what the CLI itself composed around escaped content
 * (the live view's cursor movement), for `pancode logs --raw`, where the developer asked for the bytes, and for a
 * patch written into a pipe or file (`pancode diff > x.patch` must apply).
 */
export function writeRaw(out: { write(text: string | Uint8Array): unknown }, text: string | Uint8Array): void {
  const raw = (out as Guarded)[RAW_WRITE];
  if (raw) raw(text);
  else out.write(text);
}
