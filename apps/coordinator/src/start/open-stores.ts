import { join } from "node:path";
import { createInProcessBus, createJetStreamBus, type TaskBus } from "@pancode/bus";
import { type Database, openDatabase } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { BlobStore } from "../blob-store.js";
import type { CoordinatorConfig } from "../config.js";
import { openBlobStore } from "../open-blob-store.js";

/** The coordinator's stores: the database, the task bus and the blob store. */
export interface Stores {
  db: Database;
  bus: TaskBus;
  /** False when the bus was given (shared with in-process workers): its owner closes it. */
  ownsBus: boolean;
  blobs: BlobStore;
}

/** Opens the database (Postgres, or the embedded PGlite), the bus (JetStream, or in-process) and the blob store. */
export async function openStores(config: CoordinatorConfig, logger: Logger, givenBus?: TaskBus): Promise<Stores> {
  const db = await openDatabase(
    config.db.url ? { url: config.db.url, logger } : { dataDir: join(config.dataDir, "pglite"), logger },
  );
  const bus = givenBus ?? (await openBus(config, logger));
  // Shared by every replica (Postgres, S3); a local directory then only caches files for git.
  const blobs = openBlobStore(config.blobStore, db, config.dataDir);
  await blobs.removeLeftovers();
  return { db, bus, ownsBus: !givenBus, blobs };
}

function openBus(config: CoordinatorConfig, logger: Logger): Promise<TaskBus> | TaskBus {
  const busOptions = { ackWaitMs: config.bus.ackWaitMs, maxDeliver: config.bus.maxDeliver, logger };
  if (!config.bus.natsUrl) return createInProcessBus(busOptions);
  return createJetStreamBus({
    ...busOptions,
    url: config.bus.natsUrl,
    user: config.bus.natsUser,
    pass: config.bus.natsPassword,
    replicas: config.bus.replicas,
    connectionName: "pancode-coordinator",
  });
}
