import {
  builtinCatalogue,
  type ClusterConfig,
  discoveredCluster,
  type ModelCatalogue,
  ProviderConfig,
  type ProviderProblem,
  type ResolvedModel,
  resolveModel,
  type WorkerOffer,
} from "@pancode/agents";
import { isPanCodeError, PanCodeError } from "@pancode/core";
import type { WorkerRow } from "@pancode/db";
import type { ListModelsResponse, ProviderOffer } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/** What the model directory needs to know about workers (the {@link WorkerDirectory} provides it). */
export interface ModelWorkers {
  /** Offers of the workers the coordinator knows, zero-config workers only. */
  offers(): WorkerOffer[];
  servesModel(workerId: string, provider: string, modelId: string): boolean;
}

/**
 * A worker's offers off the wire: each provider validated like a config file's (an invalid one is dropped and
 * logged, not trusted), the ones with a problem kept as problems.
 */
export function offerFromWire(workerId: string, offers: readonly ProviderOffer[], logger: Logger): WorkerOffer {
  const result: WorkerOffer = { workerId, providers: [], problems: [] };
  for (const offer of offers) {
    if (offer.problem) {
      result.problems.push({ provider: offer.name, message: offer.problem });
      continue;
    }
    const parsed = ProviderConfig.safeParse({
      name: offer.name,
      api: offer.api,
      ...(offer.baseUrl ? { baseUrl: offer.baseUrl } : {}),
      apiKeyEnv: offer.apiKeyEnv,
      models: offer.models.map((m) => ({
        id: m.id,
        price: {
          input: m.priceInput,
          output: m.priceOutput,
          cacheRead: m.priceCacheRead,
          cacheWrite: m.priceCacheWrite,
        },
      })),
    });
    if (parsed.success) result.providers.push(parsed.data);
    else
      logger.warn("invalid provider offer ignored", { workerId, provider: offer.name, problem: parsed.error.message });
  }
  return result;
}

/**
 * The cluster's models: the config file's providers when it declares any, else what the workers discovered (their
 * keys and local engines) priced by the built-in catalogue. Admission resolves models here.
 */
export class ModelDirectory {
  private readonly catalogue: ModelCatalogue;

  constructor(private readonly deps: { file: ClusterConfig; workers: ModelWorkers; catalogue?: ModelCatalogue }) {
    this.catalogue = deps.catalogue ?? builtinCatalogue();
  }

  /** True when the config file declares no providers: workers discover them. */
  get discovering(): boolean {
    return this.deps.file.providers.length === 0;
  }

  /** The effective config right now. */
  config(): ClusterConfig {
    if (!this.discovering) return this.deps.file;
    return discoveredCluster(this.deps.file, this.deps.workers.offers(), this.catalogue);
  }

  /** Providers workers could not offer, each saying what to do (one per distinct message). */
  problems(): ProviderProblem[] {
    const seen = new Map<string, ProviderProblem>();
    for (const offer of this.deps.workers.offers()) for (const p of offer.problems) seen.set(p.message, p);
    return [...seen.values()];
  }

  /**
   * Resolves `name` (`provider/id`, an alias, "" = the default). Zero-config refusals name what is served and
   * `pancode models`, or the problem of the provider asked for (an explicitly configured engine that is down).
   */
  resolve(name: string): ResolvedModel {
    const config = this.config();
    if (!this.discovering) return resolveModel(config, name);
    const problems = this.problems();
    const wanted = config.aliases[name] ?? name;
    const problem = problems.find((p) => wanted.startsWith(`${p.provider}/`));
    if (problem && !config.providers.some((p) => wanted.startsWith(`${p.name}/`))) {
      throw new PanCodeError("NO_WORKER", `no worker serves model "${name}": ${problem.message}`);
    }
    try {
      return resolveModel(config, name);
    } catch (err) {
      if (!isPanCodeError(err)) throw err;
      if (config.providers.length === 0) {
        const why = problems.length > 0 ? `; workers report: ${problems.map((p) => p.message).join("; ")}` : "";
        throw new PanCodeError("NO_WORKER", `${err.message}${why}`, { cause: err });
      }
      const served = config.providers.flatMap((p) => p.models.map((m) => `${p.name}/${m.id}`));
      throw new PanCodeError(
        "NO_WORKER",
        `no worker serves model "${name}"; served models: ${served.join(", ")} (see \`pancode models\`)`,
        { cause: err },
      );
    }
  }

  /** What `pancode models` shows: every model, its price, the live workers serving it, the default. */
  list(
    live: readonly WorkerRow[],
    servesProvider: (workerId: string, provider: string) => boolean,
  ): ListModelsResponse {
    const config = this.config();
    const defaultRef = config.aliases[config.defaultModel] ?? config.defaultModel;
    const models = config.providers.flatMap((p) =>
      p.models.map((m) => {
        const ref = `${p.name}/${m.id}`;
        const serves = (w: WorkerRow) =>
          this.discovering ? this.deps.workers.servesModel(w.id, p.name, m.id) : servesProvider(w.id, p.name);
        return {
          ref,
          provider: p.name,
          id: m.id,
          api: p.api,
          priceInput: m.price.input,
          priceOutput: m.price.output,
          workers: live.filter(serves).map((w) => w.id),
          isDefault: ref === defaultRef,
        };
      }),
    );
    return {
      models,
      defaultModel: models.some((m) => m.isDefault) ? defaultRef : "",
      source: this.discovering ? "discovered" : "config",
      problems: this.problems().map((p) => p.message),
    };
  }
}
