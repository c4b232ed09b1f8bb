import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function captured(options: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line) });
  return { logger, lines };
}

describe("createLogger", () => {
  it("writes one JSON object per line by default, with bindings and fields", () => {
    const { logger, lines } = captured({});
    logger.child({ component: "coordinator" }).info("coordinator listening", { address: "127.0.0.1:7400" });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "info",
      msg: "coordinator listening",
      component: "coordinator",
      address: "127.0.0.1:7400",
    });
  });

  it("writes text lines as time, level, component, message and key=value fields", () => {
    const { logger, lines } = captured({ format: "text" });
    const err = Object.assign(new Error("disk full"), { code: "ENOSPC" });
    logger.child({ component: "worker" }).warn("claim failed", { runId: "r1", note: "two words", err, n: 3 });
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}worker {7}claim failed {2}runId=r1 note="two words" err=\{"message":"disk full","code":"ENOSPC"\} n=3\n$/,
    );
  });

  it("colours only the level on a terminal, and honours the level threshold", () => {
    const { logger, lines } = captured({ format: "text", color: true, level: "info" });
    logger.debug("hidden");
    logger.error("boom");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("\u001b[31mERROR\u001b[0m");
    expect(lines[0]).toMatch(/ {12} boom\n$/);
  });
});
