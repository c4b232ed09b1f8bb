import { spawn } from "node:child_process";
import { PanCodeError } from "@pancode/core";
import { findOnPath } from "../find-on-path.js";

/** What a finished CLI run printed. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCli}. */
export interface RunCliOptions {
  bin: string;
  args: string[];
  cwd: string;
  /** The whole environment of the child (nothing is inherited, so no real provider key can leak in). */
  env: Record<string, string>;
  /** @default 90_000 */
  timeoutMs?: number;
}

/**
 * Finds an agent CLI for the real-CLI tests: the path in `envVar` when set, else `name` on PATH, else undefined
 * (those tests are then skipped: the CLIs live in the agent image, not necessarily on the host).
 */
export function findCli(envVar: string, name: string): string | undefined {
  const explicit = process.env[envVar];
  if (explicit) return explicit;
  return findOnPath(name);
}

/**
 * Runs an agent CLI headless with stdin closed (Pi, Codex and Gemini CLI read piped stdin into the prompt and would
 * wait for its end) and resolves with its output once it exits. Rejects only when it cannot start or times out.
 */
export function runCli(options: RunCliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.bin, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timeoutMs = options.timeoutMs ?? 90_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new PanCodeError("UNAVAILABLE", `${options.bin} did not finish in ${timeoutMs} ms: ${stderr.slice(-1000)}`),
      );
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new PanCodeError("UNAVAILABLE", `cannot run ${options.bin}`, { cause: err }));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses JSON-lines output, skipping lines that are not JSON objects (banners, warnings). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch (_err) {
      // A CLI may print a non-JSON line that happens to start with "{"; the assertions look at events only.
    }
  }
  return events;
}
