import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PanCodeError } from "@pancode/core";
import { z } from "zod";
import { issuesToErrors } from "./file-errors.js";
import { parseYamlText } from "./front-matter.js";

/** Wire protocols a provider speaks; runtime adapters map them onto their CLI's provider settings. */
export const ModelApi = z.enum(["openai-completions", "anthropic-messages", "google", "openai-responses"]);
export type ModelApi = z.infer<typeof ModelApi>;

/** Base URL of a provider that declares none: the vendor's public API for its protocol. */
export const DEFAULT_BASE_URLS: Readonly<Record<ModelApi, string>> = {
  "openai-completions": "https://api.openai.com/v1",
  "openai-responses": "https://api.openai.com/v1",
  "anthropic-messages": "https://api.anthropic.com",
  google: "https://generativelanguage.googleapis.com/v1beta",
};

const Usd = z.number().nonnegative();

/** Prices in USD per million tokens. Cache prices default to 0 (providers without prompt caching). */
export const ModelPrice = z.strictObject({
  input: Usd,
  output: Usd,
  cacheRead: Usd.default(0),
  cacheWrite: Usd.default(0),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

const FREE: ModelPrice = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/** One model of a provider; unpriced models cost 0 (a local server). */
export const ProviderModel = z.strictObject({ id: z.string().min(1), price: ModelPrice.default(FREE) });
export type ProviderModel = z.infer<typeof ProviderModel>;

/** A model provider: where it listens, which protocol it speaks, which env var holds its key, which models it has. */
export const ProviderConfig = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "lowercase letters, digits, - and _ (no /)"),
  api: ModelApi,
  /** Unset: the vendor's public endpoint for `api` ({@link DEFAULT_BASE_URLS}). */
  baseUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, "an http:// or https:// URL")
    .optional(),
  /** Name of the variable holding the API key on workers; the key itself is never in this file. "" = no key. */
  apiKeyEnv: z
    .string()
    .regex(/^([A-Za-z_][A-Za-z0-9_]*)?$/, "an environment variable name such as OPENAI_API_KEY")
    .default(""),
  models: z.array(ProviderModel).min(1),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** The cluster config file (`PANCODE_CONFIG`), read by the coordinator and the workers. */
export const ClusterConfig = z
  .strictObject({
    providers: z.array(ProviderConfig).default([]),
    /** `provider/id` or an alias; "" = the preferred discovered model (see provider-discovery.ts). */
    defaultModel: z.string().default(""),
    /** Short names for models: `fast: local/qwen-coder`. */
    aliases: z.record(z.string().regex(/^[^/\s]+$/, "an alias without / or spaces"), z.string()).default({}),
    /** The cluster's agents directory (relative paths are relative to the config file). */
    agentsDir: z.string().optional(),
  })
  .superRefine((config, ctx) => {
    const refs = new Set<string>();
    config.providers.forEach((p, i) => {
      if (config.providers.findIndex((q) => q.name === p.name) !== i) {
        ctx.addIssue({
          code: "custom",
          path: ["providers", i, "name"],
          message: `provider "${p.name}" is declared twice`,
        });
      }
      p.models.forEach((m, j) => {
        const ref = `${p.name}/${m.id}`;
        if (refs.has(ref)) {
          ctx.addIssue({
            code: "custom",
            path: ["providers", i, "models", j, "id"],
            message: `${ref} is declared twice`,
          });
        }
        refs.add(ref);
      });
    });
    // Without providers the models are discovered on the workers: aliases and the default name them unchecked.
    if (config.providers.length === 0) return;
    const known = () => `known models: ${[...refs].join(", ")}`;
    for (const [alias, target] of Object.entries(config.aliases)) {
      if (!refs.has(target)) {
        ctx.addIssue({ code: "custom", path: ["aliases", alias], message: `"${target}" is not a model; ${known()}` });
      }
    }
    const d = config.defaultModel;
    if (d && !refs.has(d) && !(d in config.aliases)) {
      ctx.addIssue({
        code: "custom",
        path: ["defaultModel"],
        message: `"${d}" is neither a model nor an alias; ${known()}`,
      });
    }
  });
export type ClusterConfig = z.infer<typeof ClusterConfig>;

/** The config of a cluster without PANCODE_CONFIG: no providers declared, so workers discover them (zero-config). */
export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = { providers: [], defaultModel: "", aliases: {} };

const CONFIG_FIELDS = ["providers", "defaultModel", "aliases", "agentsDir"];

/**
 * Parses and validates a cluster config file's text. Throws CONFIG_INVALID with one line per problem, each naming
 * the file and the field (`/etc/pancode/cluster.yaml: field "providers[0].api": expected one of ...`).
 */
export function parseClusterConfig(text: string, path: string): ClusterConfig {
  const yaml = parseYamlText(text);
  if (!yaml.ok) throw new PanCodeError("CONFIG_INVALID", `invalid cluster config ${path}: ${yaml.problem}`);
  const parsed = ClusterConfig.safeParse(yaml.data, { reportInput: true });
  if (!parsed.success) {
    const lines = issuesToErrors(path, parsed.error, CONFIG_FIELDS).map((e) => e.message);
    throw new PanCodeError("CONFIG_INVALID", `invalid cluster config ${path}:\n${lines.join("\n")}`);
  }
  const config = parsed.data;
  if (config.agentsDir) config.agentsDir = resolve(dirname(path), config.agentsDir);
  return config;
}

/**
 * Reads the cluster config at `path` (`PANCODE_CONFIG`); unset or "" gives {@link DEFAULT_CLUSTER_CONFIG}.
 * Throws CONFIG_INVALID naming the file when it cannot be read or is invalid.
 */
export async function loadClusterConfig(path: string | undefined): Promise<ClusterConfig> {
  if (!path) return DEFAULT_CLUSTER_CONFIG;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new PanCodeError("CONFIG_INVALID", `cannot read the cluster config ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseClusterConfig(text, path);
}
