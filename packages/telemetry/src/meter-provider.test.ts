import { describe, expect, it } from "vitest";
import { wantsOtlpMetrics } from "./meter-provider.js";

describe("OTLP metric export", () => {
  it("follows the standard variables: an endpoint turns it on unless OTEL_METRICS_EXPORTER says otherwise", () => {
    expect(wantsOtlpMetrics({})).toBe(false);
    expect(wantsOtlpMetrics({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe(true);
    expect(wantsOtlpMetrics({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:4318/v1/metrics" })).toBe(true);
    expect(wantsOtlpMetrics({ OTEL_METRICS_EXPORTER: "otlp" })).toBe(true);
    expect(wantsOtlpMetrics({ OTEL_METRICS_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://x:4318" })).toBe(
      false,
    );
    expect(wantsOtlpMetrics({ OTEL_METRICS_EXPORTER: "console", OTEL_EXPORTER_OTLP_ENDPOINT: "http://x:4318" })).toBe(
      false,
    );
    expect(wantsOtlpMetrics({ OTEL_SDK_DISABLED: "true", OTEL_METRICS_EXPORTER: "otlp" })).toBe(false);
  });
});
