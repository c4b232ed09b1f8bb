import { readFileSync } from "node:fs";
import { isPanCodeError, PanCodeError } from "@pancode/core/errors";
import type { WhoAmIResponse } from "@pancode/proto";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connectTo } from "../client/connection.js";
import { checkToken } from "../client/contexts/check-token.js";
import { readConfig, writeConfig } from "../client/contexts/config-file.js";
import type { Context } from "../client/contexts/context.js";
import { readToken } from "../client/contexts/token-input.js";
import { EXIT, UsageError } from "../client/exit-codes.js";

/** The coordinator's default port, added to an address given without one. */
const DEFAULT_PORT = "7400";

export interface LoginOptions {
  name?: string;
  ca?: string;
  tokenStdin?: boolean;
}

/** `host:port` of `address` (port 7400 when left out); a URL or an empty host is a UsageError. */
export function coordinatorAddress(address: string): string {
  if (/^[a-z]+:\/\//i.test(address)) throw new UsageError(`give the coordinator as host:port, not a URL: ${address}`);
  const withPort = /:\d+$/.test(address) ? address : `${address}:${DEFAULT_PORT}`;
  if (withPort.startsWith(":")) throw new UsageError(`no host in the coordinator address "${address}"`);
  return withPort;
}

/** The context name `login` picks when --name is not given: the host, with the port when it is not the default. */
export function contextNameFor(address: string): string {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  const named = port === DEFAULT_PORT ? host : `${host}-${port}`;
  const name = named.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return host.startsWith("[") ? `ipv6-${name}` : name;
}

/** The PEM certificate in `path`, stored inline in the context (see README: the context survives the file). */
function readCa(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the CA certificate ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`${path} is not a PEM certificate`);
  return pem;
}

/** What a failed check means for login: a refused token or an address nobody answers at, said as such. */
function loginFailure(err: unknown, context: Context): unknown {
  if (!isPanCodeError(err)) return err;
  // The gRPC status stays the cause, so the exit code is 4 (the coordinator refused or could not be reached).
  const cause = err.cause;
  if (err.code === "UNAUTHENTICATED") {
    return new PanCodeError("UNAUTHENTICATED", `login failed: ${context.address} refused the token; nothing saved`, {
      cause,
    });
  }
  if (err.code !== "UNAVAILABLE") return err;
  const tls = context.ca ? "" : "; if it serves TLS, pass --ca <its CA certificate>";
  const message = `login failed: no coordinator answered at ${context.address}${tls}; nothing saved`;
  return new PanCodeError("UNAVAILABLE", message, { cause });
}

/** Checks the token against the coordinator (see checkToken) and returns whose it is. */
async function verify(context: Context): Promise<WhoAmIResponse> {
  const api = connectTo({ address: context.address, token: context.token, caPath: "", caPem: context.ca }, 10_000);
  try {
    return await checkToken(api);
  } catch (err) {
    throw loginFailure(err, context);
  } finally {
    api.close();
  }
}

/** `pancode login <address>`: checks a token and saves it as a context, which becomes the current one. */
export async function loginCommand(address: string, options: LoginOptions): Promise<number> {
  const path = cliEnv().configPath;
  // Read (and so validate) the file first: a file we cannot parse is never overwritten.
  const config = readConfig(path);
  const target = coordinatorAddress(address);
  const name = options.name ?? contextNameFor(target);
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new UsageError(`a context name is letters, digits, '.', '_' or '-': ${name}`);
  const ca = options.ca ? readCa(options.ca) : undefined;
  const token = await readToken(Boolean(options.tokenStdin));
  const context: Context = { name, address: target, token, ...(ca ? { ca } : {}) };
  const who = await verify(context);
  const known = config.contexts.some((c) => c.name === name);
  const contexts = known ? config.contexts.map((c) => (c.name === name ? context : c)) : [...config.contexts, context];
  writeConfig(path, { current: name, contexts });
  const role = who.team ? `${who.role}, team ${who.team}` : who.role;
  process.stdout.write(
    `logged in to ${target} as ${who.name} (${role}): context "${name}" saved in ${path} and now current\n`,
  );
  return EXIT.ok;
}

/** Registers `pancode login`. */
export function registerLogin(program: Command, run: CommandRunner): void {
  program
    .command("login")
    .description("check a token against a coordinator and save it as a context (see pancode context)")
    .argument("<address>", "the coordinator, host:port (port 7400 when left out)")
    .option("--name <context>", "the context's name (default: the host, and the port unless 7400)")
    .option("--ca <file>", "the CA certificate (PEM) of a TLS coordinator; saved inline in the context")
    .option("--token-stdin", "read the token from stdin (else it is asked for on the terminal)")
    .action((address: string, options: LoginOptions) => run("login", () => loginCommand(address, options)));
}
