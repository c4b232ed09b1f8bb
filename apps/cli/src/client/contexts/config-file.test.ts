import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../exit-status.js";
import { formatConfig, parseConfig, readConfig, writeConfig } from "./config-file.js";
import type { PancodeConfig } from "./context.js";
import { configPath } from "./selection.js";

const root = mkdtempSync(join(tmpdir(), "pancode-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const CONFIG: PancodeConfig = {
  current: "prod",
  contexts: [
    { name: "prod", address: "pancode.example.com:7400", token: "0042", ca: PEM },
    { name: "dev", address: "127.0.0.1:7400", token: "t-dev" },
  ],
};

function parseError(text: string): string {
  try {
    parseConfig(text, "/home/a/config.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("parsed");
}

describe("config.yaml", () => {
  it("lives under XDG_CONFIG_HOME, else ~/.config", () => {
    expect(configPath({ XDG_CONFIG_HOME: "/x" })).toBe("/x/pancode/config.yaml");
    expect(configPath({})).toMatch(/\/\.config\/pancode\/config\.yaml$/);
  });

  it("round-trips contexts, an inline CA and a token of digits", () => {
    expect(parseConfig(formatConfig(CONFIG), "c.yaml")).toEqual(CONFIG);
    expect(parseConfig("contexts:\n  - {name: a, address: h:1, token: 0012}\n", "c.yaml").contexts[0]?.token).toBe(
      "0012",
    );
    expect(parseConfig("", "c.yaml")).toEqual({ contexts: [] });
  });

  it("names the file and the line of what is malformed", () => {
    expect(parseError("current-context: a\ncontexts:\n  - name: a\n  address: [\n")).toMatch(
      /^\/home\/a\/config\.yaml:4: not valid YAML/,
    );
    expect(parseError("contexts:\n  - name: a\n    address: h:1\n")).toMatch(
      /^\/home\/a\/config\.yaml:2: context "a" has no token/,
    );
    expect(parseError("contexts:\n  - name: a\n    address: h:1\n    token:\n")).toMatch(
      /config\.yaml:4: .*token must be/,
    );
    expect(
      parseError("contexts:\n  - {name: a, address: h:1, token: t}\n  - {name: a, address: h:2, token: t}\n"),
    ).toMatch(/config\.yaml:3: context "a" is defined twice/);
    expect(parseError("contexts: 3\n")).toMatch(/config\.yaml:1: contexts must be a list/);
    expect(parseError("- a\n")).toMatch(/config\.yaml:1: expected keys current-context and contexts/);
  });

  it("is written 0600 in a 0700 directory, atomically (no temporary file left), and read back", () => {
    const path = configPath({ XDG_CONFIG_HOME: join(root, "fresh") });
    writeConfig(path, CONFIG);
    writeConfig(path, { ...CONFIG, current: "dev" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, "fresh", "pancode")).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(root, "fresh", "pancode"))).toEqual(["config.yaml"]);
    expect(readConfig(path).current).toBe("dev");
  });

  it("a missing file is no contexts", () => {
    expect(readConfig(join(root, "none", "config.yaml"))).toEqual({ contexts: [] });
  });

  it("a file others can read still works, with one warning naming the fix", () => {
    const dir = join(root, "open");
    mkdirSync(dir);
    const path = join(dir, "config.yaml");
    writeFileSync(path, formatConfig(CONFIG), { mode: 0o644 });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(readConfig(path)).toEqual(CONFIG);
      readConfig(path);
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(String(stderr.mock.calls[0]?.[0])).toContain(`chmod 600 ${path}`);
    } finally {
      stderr.mockRestore();
    }
    expect(readFileSync(path, "utf8")).toBe(formatConfig(CONFIG));
  });
});
