import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { escapeControl, guardTerminal, writeRaw } from "./terminal-text.js";

describe("escapeControl", () => {
  it.each([
    ["OSC retitle", "\u001b]0;pwned\u0007done", "\\u001b]0;pwned\\u0007done"],
    ["CSI clear screen", "a\u001b[2Jb", "a\\u001b[2Jb"],
    ["C1 CSI", "x\u009b31mred", "x\\u009b31mred"],
    ["DEL and NUL", "a\u007fb\u0000c", "a\\u007fb\\u0000c"],
    ["carriage return overwriting a line", "safe\rEVIL", "safe\\u000dEVIL"],
    ["bidi override in a file name", "invoice\u202egpj.exe", "invoice\\u202egpj.exe"],
  ])("%s is shown, not obeyed", (_name, input, shown) => {
    expect(escapeControl(input)).toBe(shown);
  });

  it("keeps newlines, tabs, CRLF line ends and any printable text (unicode included)", () => {
    const text = "line 1\r\n\tindented ✓ äöü 日本\nend";
    expect(escapeControl(text)).toBe(text);
  });
});

/** A stand-in terminal: a stream flagged as a TTY that records what reaches it. */
function fakeTerminal(isTTY: boolean) {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean };
  stream.isTTY = isTTY;
  const seen: string[] = [];
  (stream as unknown as PassThrough).on("data", (d: Buffer) => seen.push(d.toString("utf8")));
  return { stream, seen: () => seen.join("") };
}

describe("guardTerminal", () => {
  it("escapes strings and bytes written to a terminal; writeRaw passes the CLI's own codes", async () => {
    const term = fakeTerminal(true);
    guardTerminal(term.stream);
    term.stream.write("out\u001b]2;title\u0007\n");
    // A UTF-8 C1 control split across two chunks is still caught.
    const c1 = Buffer.from("\u009b", "utf8");
    term.stream.write(c1.subarray(0, 1));
    term.stream.write(c1.subarray(1));
    writeRaw(term.stream, "\u001b[2K");
    await new Promise((resolve) => setImmediate(resolve));
    expect(term.seen()).toBe("out\\u001b]2;title\\u0007\n\\u009b\u001b[2K");
  });

  it("guards pipes too (they often end on a terminal: | tee, | less -R); writeRaw stays exact", async () => {
    const pipe = fakeTerminal(false);
    guardTerminal(pipe.stream);
    pipe.stream.write("\u001b[31m");
    writeRaw(pipe.stream, "\u001b[31m");
    await new Promise((resolve) => setImmediate(resolve));
    expect(pipe.seen()).toBe("\\u001b[31m\u001b[31m");
  });

  it("keeps JSON meaning the same: a raw C1 inside a JSON string becomes its \\u escape", async () => {
    const out = fakeTerminal(false);
    guardTerminal(out.stream);
    const value = { text: "a\u009bb\u001bc" };
    out.stream.write(JSON.stringify(value));
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(out.seen())).toEqual(value);
  });
});
