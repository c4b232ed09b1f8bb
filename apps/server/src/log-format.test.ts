import { describe, expect, it } from "vitest";
import { logOptions } from "./log-format.js";

describe("logOptions", () => {
  it("logs readable coloured text on a terminal and JSON when stderr is piped", () => {
    expect(logOptions(undefined, true, {})).toEqual({ format: "text", color: true });
    expect(logOptions(undefined, false, {})).toEqual({ format: "json", color: false });
  });

  it("follows --log-format either way, and NO_COLOR turns colour off", () => {
    expect(logOptions("json", true, {})).toEqual({ format: "json", color: false });
    expect(logOptions("text", false, {})).toEqual({ format: "text", color: false });
    expect(logOptions("text", true, { NO_COLOR: "1" })).toEqual({ format: "text", color: false });
  });
});
