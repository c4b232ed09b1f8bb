import { silentLogger } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { OutputDecoder, type OutputStream } from "../output-decoder.js";
import { DockerStreamDemuxer } from "./demux.js";

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function collect(): { out: Record<OutputStream, string>; demux: DockerStreamDemuxer; decoder: OutputDecoder } {
  const out: Record<OutputStream, string> = { stdout: "", stderr: "" };
  const decoder = new OutputDecoder({ onOutput: (s, t) => (out[s] += t) }, silentLogger, "r1");
  const demux = new DockerStreamDemuxer((s, p) => decoder.write(s, p));
  return { out, demux, decoder };
}

describe("DockerStreamDemuxer", () => {
  const text = "héllo wörld € 🚀";
  const bytes = Buffer.from(text);
  // Split the one UTF-8 payload over two frames inside the 4-byte rocket emoji.
  const cut = bytes.length - 2;
  const wire = Buffer.concat([
    frame(1, bytes.subarray(0, cut)),
    frame(2, Buffer.from("err line\n")),
    frame(1, bytes.subarray(cut)),
  ]);

  it("reassembles frames and multi-byte characters split at every possible chunk boundary", () => {
    for (let at = 0; at <= wire.length; at++) {
      const { out, demux, decoder } = collect();
      demux.push(wire.subarray(0, at));
      demux.push(wire.subarray(at));
      decoder.end();
      expect(out).toEqual({ stdout: text, stderr: "err line\n" });
      expect(demux.pendingBytes).toBe(0);
    }
  });

  it("handles byte-by-byte delivery and keeps an incomplete frame pending", () => {
    const { out, demux } = collect();
    for (const b of wire.subarray(0, wire.length - 1)) demux.push(Buffer.from([b]));
    expect(out.stderr).toBe("err line\n");
    expect(demux.pendingBytes).toBe(wire.length - 1 - (8 + cut) - (8 + 9));
  });

  it("keeps delivering after a hook throws", () => {
    const seen: string[] = [];
    const decoder = new OutputDecoder(
      {
        onOutput: (_s, t) => {
          seen.push(t);
          throw new Error("sink closed");
        },
      },
      silentLogger,
      "r1",
    );
    decoder.write("stdout", Buffer.from("a"));
    decoder.write("stdout", Buffer.from("b"));
    expect(seen).toEqual(["a", "b"]);
  });
});
