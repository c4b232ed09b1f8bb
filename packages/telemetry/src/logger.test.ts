import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("trace ids and secrets", () => {
  // A synchronous context manager, enough to make a span context active around a call.
  const stack: Context[] = [ROOT_CONTEXT];
  const manager: ContextManager = {
    active: () => stack.at(-1) ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => {
      stack.push(ctx);
      try {
        return fn.call(thisArg, ...args);
      } finally {
        stack.pop();
      }
    },
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => manager,
  };
  beforeAll(() => context.setGlobalContextManager(manager));
  afterAll(() => context.disable());

  it("adds trace_id and span_id to every line written inside an active span, and none outside", () => {
    const { logger, lines } = captured({});
    const spanContext = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 };
    context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () => logger.child({ c: 1 }).info("inside"));
    logger.info("outside");
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      trace_id: spanContext.traceId,
      span_id: spanContext.spanId,
    });
    expect(JSON.parse(lines[1] as string)).not.toHaveProperty("trace_id");
  });

  it("writes secrets as [redacted] by field name at any depth, in bindings too, and keeps counts", () => {
    const { logger, lines } = captured({ format: "json" });
    logger.child({ workerToken: "w-secret" }).warn("calling", {
      headers: { authorization: "Bearer sk-live-1", accept: "json" },
      apiKey: "sk-ant-2",
      NATS_PASSWORD: "hunter2",
      tokens: 1234,
      keyId: "k1",
    });
    const line = lines[0] as string;
    for (const secret of ["w-secret", "sk-live-1", "sk-ant-2", "hunter2"]) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({
      workerToken: "[redacted]",
      headers: { authorization: "[redacted]", accept: "json" },
      apiKey: "[redacted]",
      NATS_PASSWORD: "[redacted]",
      tokens: 1234,
      keyId: "k1",
    });
  });
});
