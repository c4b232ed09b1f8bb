import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PanCodeError } from "@pancode/core";
import { z } from "zod";
import { ModelApi, ProviderModel } from "./cluster-config.js";

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");

/** A cloud provider a worker can serve from an API key in its environment. */
export const CatalogueProvider = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    api: ModelApi,
    /** Variables that may hold the key, the first set one wins (`GEMINI_API_KEY`, then `GOOGLE_API_KEY`). */
    keyEnv: z.array(EnvName).min(1),
    /** Variable that moves the provider's endpoint (a proxy, a gateway, a scripted server). */
    baseUrlEnv: EnvName,
    defaultModel: z.string().min(1),
    models: z.array(ProviderModel).min(1),
  })
  .refine((p) => p.models.some((m) => m.id === p.defaultModel), { message: "defaultModel is not one of models" });
export type CatalogueProvider = z.infer<typeof CatalogueProvider>;

/** The built-in model catalogue (catalogue/models.json); provider order is the default-model preference. */
export const ModelCatalogue = z.strictObject({
  $comment: z.string().optional(),
  providers: z.array(CatalogueProvider),
  /** Key variables of providers the catalogue has no models for: variable -> provider name. */
  otherProviderKeys: z.record(EnvName, z.string()).default({}),
});
export type ModelCatalogue = z.infer<typeof ModelCatalogue>;

/** Validates a catalogue's data; throws CONFIG_INVALID naming `source` and the first problems. */
export function parseCatalogue(data: unknown, source: string): ModelCatalogue {
  const parsed = ModelCatalogue.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new PanCodeError("CONFIG_INVALID", `invalid model catalogue ${source}: ${problems.slice(0, 5).join("; ")}`);
}

/** Where the catalogue ships: next to src/ and dist/ in the package, so both find it at `../catalogue`. */
export const BUILTIN_CATALOGUE_PATH = fileURLToPath(new URL("../catalogue/models.json", import.meta.url));

let builtin: ModelCatalogue | undefined;

/** The catalogue shipped in this package, read once. */
export function builtinCatalogue(): ModelCatalogue {
  builtin ??= parseCatalogue(JSON.parse(readFileSync(BUILTIN_CATALOGUE_PATH, "utf8")), BUILTIN_CATALOGUE_PATH);
  return builtin;
}
