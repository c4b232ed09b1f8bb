import { spawn } from "node:child_process";
import { GIT_CONFIG, gitEnv, gitFailed, safeDirectoryConfig } from "./git-env.js";

/** One git invocation whose stdin or stdout carries raw bytes (patches, bundles) or whose exit code matters. */
export interface GitProcessOptions {
  cwd: string;
  args: readonly string[];
  /** Extra environment (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE). */
  env?: Readonly<Record<string, string>>;
  /** A directory git must trust although another user owns it (`-c safe.directory=<it>`); never a wildcard. */
  safeDirectory?: string;
  /** Bytes written to stdin. @default nothing (stdin closed at once) */
  input?: Buffer;
  /** Exit codes that count as success; any other becomes a `GIT_FAILED` error. @default [0] */
  okExitCodes?: readonly number[];
}

/** What a finished git process produced. `stdout` is exact bytes, never decoded. */
export interface GitProcessResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/**
 * Runs git directly with node:child_process. simple-git decodes output as text and cannot feed stdin, which
 * corrupts binary patches; every byte-exact or exit-code-sensitive command goes through here instead.
 */
export function runGitProcess(options: GitProcessOptions): Promise<GitProcessResult> {
  const { cwd, args, input } = options;
  const okExitCodes = options.okExitCodes ?? [0];
  const argv = [
    ...GIT_CONFIG.flatMap((setting) => ["-c", setting]),
    ...safeDirectoryConfig(options.safeDirectory),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("git", argv, { cwd, env: gitEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    // git may exit before reading all of stdin (e.g. a malformed patch); the exit code reports that, not EPIPE.
    child.stdin.on("error", () => {});
    child.on("error", (cause) => reject(gitFailed(args, cwd, `could not start git: ${cause.message}`, cause)));
    child.on("close", (code, signal) => {
      const stderr = Buffer.concat(err).toString("utf8");
      const exitCode = code ?? -1;
      if (!okExitCodes.includes(exitCode)) {
        reject(gitFailed(args, cwd, stderr || `exit ${code ?? signal}`));
        return;
      }
      resolve({ stdout: Buffer.concat(out), stderr, exitCode });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}
