import { propagation, type TextMapPropagator } from "@opentelemetry/api";
import { afterEach, describe, expect, test } from "vitest";
import { withTraceContext } from "./trace-context.js";

// A stand-in for the W3C propagator an OTel SDK registers; the api package alone injects nothing.
const fixedPropagator: TextMapPropagator = {
  inject: (_context, carrier, setter) => setter.set(carrier, "traceparent", "00-injected-01"),
  extract: (context) => context,
  fields: () => ["traceparent"],
};

describe("withTraceContext", () => {
  afterEach(() => propagation.disable());

  test("adds nothing when no propagator is registered", () => {
    expect(withTraceContext({ a: "1" })).toEqual({ a: "1" });
  });

  test("injects the active context, and an explicit traceparent wins", () => {
    propagation.setGlobalPropagator(fixedPropagator);
    expect(withTraceContext(undefined)).toEqual({ traceparent: "00-injected-01" });
    expect(withTraceContext({ traceparent: "00-explicit-01" })).toEqual({ traceparent: "00-explicit-01" });
  });
});
