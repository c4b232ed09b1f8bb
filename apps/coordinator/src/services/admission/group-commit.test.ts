import type { AdmissionOutcome, RunAdmission, RunRow } from "@pancode/db";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";

/** A store that records each batch it is given and lets the test decide when each commits. */
function recordingStore() {
  const batches: { ids: string[]; commit(outcomes?: AdmissionOutcome[]): void }[] = [];
  return {
    batches,
    admitRuns(batch: readonly RunAdmission[]): Promise<AdmissionOutcome[]> {
      return new Promise((resolve) => {
        const ids = batch.map((a) => a.row.id);
        batches.push({
          ids,
          commit: (outcomes) =>
            resolve(outcomes ?? ids.map((id) => ({ status: "fulfilled", value: { ok: true, run: { id } as RunRow } }))),
        });
      });
    },
  };
}

const admission = (id: string) => ({ row: { id } as RunAdmission["row"], estimateUsd: 0 });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupCommit", () => {
  it("puts the admissions of one turn in one batch and those arriving while it commits in the next", async () => {
    const store = recordingStore();
    const group = new GroupCommit(store, { maxInFlight: 1 });
    const first = ["a", "b", "c"].map((id) => group.admit(admission(id)));
    await turn();
    const later = ["d", "e"].map((id) => group.admit(admission(id)));
    await turn();
    expect(store.batches.map((b) => b.ids)).toEqual([["a", "b", "c"]]);
    store.batches[0]?.commit();
    expect((await Promise.all(first)).map((r) => r.ok && r.run.id)).toEqual(["a", "b", "c"]);
    await turn();
    expect(store.batches.map((b) => b.ids)).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    store.batches[1]?.commit();
    expect((await Promise.all(later)).map((r) => r.ok && r.run.id)).toEqual(["d", "e"]);
  });

  it("gives each caller its own outcome: a refusal or an error reaches only its own dispatch", async () => {
    const store = recordingStore();
    const group = new GroupCommit(store, { maxBatch: 3 });
    const results = ["a", "b", "c", "d"].map((id) => group.admit(admission(id)).catch((e: Error) => e.message));
    await turn();
    await turn();
    expect(store.batches.map((b) => b.ids)).toEqual([["a", "b", "c"], ["d"]]);
    store.batches[0]?.commit([
      { status: "fulfilled", value: { ok: true, run: { id: "a" } as RunRow } },
      { status: "fulfilled", value: { ok: false, subRunsStarted: 1 } },
      { status: "rejected", reason: new Error("duplicate c") },
    ]);
    store.batches[1]?.commit();
    const [a, b, c, d] = await Promise.all(results);
    expect(a).toMatchObject({ ok: true, run: { id: "a" } });
    expect(b).toEqual({ ok: false, subRunsStarted: 1 });
    expect(c).toBe("duplicate c");
    expect(d).toMatchObject({ ok: true, run: { id: "d" } });
  });
});
