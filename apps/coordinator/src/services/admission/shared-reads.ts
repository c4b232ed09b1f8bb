import { batched } from "../batched.js";
import type { AdmissionDeps, AdmissionStore } from "./context.js";
import { singleFlight } from "./single-flight.js";

/**
 * The gates' dependencies with the reads that do not depend on the dispatch shared among concurrent admissions:
 * the drain flag (gate 3), live workers (gate 10), a commit's bundle (the workspace's blobs) and an agent's cost estimate (gate 8, for the
 * cluster's own agents; a dispatch with repository agent files estimates alone). Recording a commit's bundle is an
 * idempotent insert, so concurrent admissions of one workspace share it too (each still waits for it to commit).
 * Whether a blob is stored (the workspace's state, its bundle) is shared per digest the same way. Loop history
 * differs per task, so it is not shared but batched: the reads asked in one event-loop turn go out as one statement
 * (each still answered from committed state read after it was asked).
 */
export function sharedReads(deps: AdmissionDeps): AdmissionDeps {
  const { db, workers, budget } = deps;
  const findCommit = singleFlight(
    (repoId: string, commit: string) => db.findCommit(repoId, commit),
    (repoId, commit) => `${repoId}@${commit}`,
  );
  const recordCommit = singleFlight(
    (repoId: string, commit: string, bundle: string) => db.recordCommit(repoId, commit, bundle),
    (repoId, commit, bundle) => `${repoId}@${commit}=${bundle}`,
  );
  const liveWorkers = singleFlight(
    (pool: string, runtime: string) => workers.liveWorkers(pool, runtime),
    (pool, runtime) => `${pool}/${runtime}`,
  );
  const estimate = singleFlight(
    (agent: string, model: string) => budget.estimate(agent, model),
    (agent, model) => JSON.stringify([agent, model]),
  );
  const hasBlob = singleFlight(
    (digest: string) => deps.blobs.has(digest),
    (digest) => digest,
  );
  const store: AdmissionStore = {
    getRun: (id) => db.getRun(id),
    recentOutcomes: batched((queries: Parameters<AdmissionStore["recentOutcomes"]>[0][]) =>
      db.recentOutcomesMany(queries),
    ),
    recentOutcomesMany: (queries) => db.recentOutcomesMany(queries),
    findCommit,
    recordCommit,
    insertRunWithReservation: (row, estimateUsd, audit, subRuns) =>
      db.insertRunWithReservation(row, estimateUsd, audit, subRuns),
    admitRuns: (batch) => db.admitRuns(batch),
  };
  return {
    ...deps,
    isDraining: singleFlight(deps.isDraining, () => ""),
    db: store,
    blobs: { has: hasBlob },
    workers: { liveWorkers, servesModel: (id, provider, model) => workers.servesModel(id, provider, model) },
    budget: {
      check: (estimateUsd, team) => budget.check(estimateUsd, team),
      estimate: (agent, model, agents) =>
        agents === undefined || agents === deps.agents ? estimate(agent, model) : budget.estimate(agent, model, agents),
    },
  };
}
