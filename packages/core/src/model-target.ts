import { z } from "zod";

/** Prices of a model in USD per million tokens. */
export const ModelPrice = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative().default(0),
  cacheWrite: z.number().nonnegative().default(0),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/**
 * Everything a runtime needs to reach a run's model, resolved by the coordinator from the cluster config. The API
 * key is never part of it: `apiKeyEnv` names the worker's environment variable that holds it.
 */
export const ModelTarget = z.object({
  /** `provider/id`, as users name it. */
  ref: z.string(),
  provider: z.string(),
  id: z.string(),
  /** Wire protocol: openai-completions | anthropic-messages | google | openai-responses. */
  api: z.string(),
  baseUrl: z.string(),
  /** Name of the environment variable holding the API key ("" when the provider needs none). */
  apiKeyEnv: z.string(),
  price: ModelPrice,
});
export type ModelTarget = z.infer<typeof ModelTarget>;
