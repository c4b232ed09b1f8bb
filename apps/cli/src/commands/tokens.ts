import type { TokenInfo } from "@pancode/proto";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { printJson, table } from "../output.js";

const SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `--expires` as typed ("90d", "12h", "1w", "30s") in seconds; a UsageError (exit 2) for anything else. */
export function parseExpiry(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (SECONDS[match[2] as string] ?? 0) : 0;
  if (seconds <= 0)
    throw new UsageError(`--expires must be a whole number with a unit s, m, h, d or w (e.g. 90d), got "${text}"`);
  return seconds;
}

/** `pancode tokens list --json`: a token as the CLI shows it (never the token itself). */
function tokenJson(t: TokenInfo) {
  return {
    name: t.name,
    role: t.role,
    team: t.team || null,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt || null,
    revokedAt: t.revokedAt || null,
    lastUsedAt: t.lastUsedAt || null,
  };
}

/** `pancode tokens create <name> --role R [--team T] [--expires 90d] [--json]`: prints the new token once. */
export async function tokensCreateCommand(
  name: string,
  options: { role?: string; team?: string; expires?: string; json?: boolean },
): Promise<number> {
  if (!options.role) throw new UsageError("--role is required: admin, member or viewer");
  const expiresInSeconds = options.expires ? parseExpiry(options.expires) : 0;
  const api = connect();
  try {
    const { info, token } = await api.createToken({
      name,
      role: options.role,
      team: options.team ?? "",
      expiresInSeconds,
    });
    if (options.json) {
      printJson({ name: info?.name ?? name, role: info?.role ?? options.role, team: info?.team || null, token });
      return EXIT.ok;
    }
    const expiry = info?.expiresAt ? `, expires ${info.expiresAt}` : "";
    process.stderr.write(
      `created token ${name} (role ${options.role}${options.team ? `, team ${options.team}` : ""}${expiry}); it is shown only now:\n`,
    );
    process.stdout.write(`${token}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode tokens list [--json]`: names, roles, teams and dates; never a token. */
export async function tokensListCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const tokens = await api.listTokens();
    if (options.json) {
      printJson({ tokens: tokens.map(tokenJson) });
      return EXIT.ok;
    }
    const state = (t: TokenInfo) =>
      t.revokedAt ? "revoked" : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? "expired" : "active";
    const rows = tokens.map((t) => [
      t.name,
      t.role,
      t.team || "-",
      state(t),
      t.expiresAt || "never",
      t.lastUsedAt || "-",
    ]);
    process.stdout.write(`${table(["NAME", "ROLE", "TEAM", "STATE", "EXPIRES", "LAST USED"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode tokens revoke <name>`: the token is refused from its next call on. */
export async function tokensRevokeCommand(name: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const info = await api.revokeToken(name);
    if (options.json) printJson(tokenJson(info));
    else process.stdout.write(`revoked token ${info.name}: its next call is refused\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode whoami [--json]`: who the token in use belongs to, on which coordinator. */
export async function whoamiCommand(options: { json?: boolean }): Promise<number> {
  const address = cliEnv().connection().address;
  const api = connect();
  try {
    const me = await api.whoAmI();
    const doc = {
      name: me.name,
      role: me.role || null,
      team: me.team || null,
      expiresAt: me.expiresAt || null,
      cluster: { address, version: me.version },
    };
    if (options.json) {
      printJson(doc);
      return EXIT.ok;
    }
    const team = me.team ? `, team ${me.team}` : "";
    process.stdout.write(`${me.name} (${me.role || "run token"}${team}) on ${address} (coordinator ${me.version})\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode tokens create|list|revoke` and `pancode whoami`. */
export function registerTokens(program: Command, run: CommandRunner): void {
  const tokens = program.command("tokens").description("people's client tokens: create, list, revoke (admin)");
  tokens
    .command("create")
    .description("create a token for a person; it is printed once and only its hash is kept")
    .argument("<name>", "the person, e.g. alice (runs and audit entries record it)")
    .option("--role <role>", "admin | member | viewer")
    .option("--team <team>", "the team whose budget and run limit the person's runs count against")
    .option("--expires <duration>", "expires after this long, e.g. 90d, 12h, 1w (default: never)")
    .option("--json", "print {name, role, team, token}")
    .action((name: string, options: { role?: string; team?: string; expires?: string; json?: boolean }) =>
      run("tokens create", () => tokensCreateCommand(name, options)),
    );
  tokens
    .command("list")
    .description("every token's name, role, team, state and dates (never the token)")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("tokens list", () => tokensListCommand(options)));
  tokens
    .command("revoke")
    .description("revoke a token by name: its next call is refused")
    .argument("<name>")
    .option("--json", "print the token's record as JSON")
    .action((name: string, options: { json?: boolean }) =>
      run("tokens revoke", () => tokensRevokeCommand(name, options)),
    );
  program
    .command("whoami")
    .description("who the token in use belongs to: name, role, team, cluster")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("whoami", () => whoamiCommand(options)));
}
