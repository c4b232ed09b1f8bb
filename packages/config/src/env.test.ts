import { BoolEnv, ConfigError, PositiveIntEnv, parseConfig } from "@pancode/config";
import { describe, expect, it } from "vitest";
import { z } from "zod";

describe("parseConfig", () => {
  const Schema = z.object({ FLAG: BoolEnv.default(false), COUNT: PositiveIntEnv.default(4) });

  it("parses 'false' as false and coerces numbers", () => {
    expect(parseConfig(Schema, { FLAG: "false", COUNT: "7" })).toEqual({ FLAG: false, COUNT: 7 });
    expect(parseConfig(Schema, { FLAG: "1" })).toEqual({ FLAG: true, COUNT: 4 });
  });

  it("reports every invalid variable by name", () => {
    const error = (() => {
      try {
        parseConfig(Schema, { COUNT: "-3" });
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("COUNT");
  });
});
