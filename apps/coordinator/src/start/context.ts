import type { Logger, Metrics } from "@pancode/telemetry";
import type { CoordinatorConfig } from "../config.js";
import type { PublishGate } from "../services/run-publisher.js";
import type { Stores } from "./open-stores.js";
import type { StartSetup } from "./prepare.js";

/** What every step of the coordinator's start after the stores sees: config, setup, stores. */
export interface ServicesContext {
  config: CoordinatorConfig;
  logger: Logger;
  setup: StartSetup;
  stores: Stores;
  /** Version reported to clients and workers (and on metrics). */
  version: string;
  /** Holds pending runs off the bus until it allows them. @default fair share between teams */
  publishGate?: PublishGate;
  /** The process's MeterProvider; see StartCoordinatorOptions.metrics. */
  metrics?: Metrics;
}
