import type { Database, RunRow } from "@pancode/db";
import type { PublishGate } from "./run-publisher.js";

/**
 * Fair share between teams over one JetStream work queue. The queue is first in, first out, so a team that put 100
 * runs on it would make every other team wait behind them. Instead a team with a limit (`pancode teams set T
 * --max-running N`) has at most N runs on the bus at once (running, or queued for a worker); its other runs stay
 * `pending` and unpublished, held by the coordinator. The publish reconciler publishes them, oldest first, as the
 * team's runs end (it is nudged at each end). Another team's run is published at once, so it queues behind at most
 * the N runs of each limited team: with one worker slot and a limit of 1, it waits for at most one run to finish.
 */
export class TeamFairShareGate implements PublishGate {
  /** One publish decision at a time per team, so two dispatches cannot both take the team's last slot. */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Pick<Database, "getTeam" | "countTeamRunsOnBus">) {}

  async mayPublish(run: RunRow): Promise<boolean> {
    const limit = await this.limitOf(run.team);
    if (limit === null || !run.team) return true;
    return (await this.db.countTeamRunsOnBus(run.team)) < limit;
  }

  /** Runs `publish` (the gate's decision and the publish it allows) after the team's previous one has finished. */
  exclusive<T>(run: RunRow, publish: () => Promise<T>): Promise<T> {
    if (!run.team) return publish();
    const team = run.team;
    const previous = this.turns.get(team) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(publish);
    const settled = turn.catch(() => undefined);
    this.turns.set(team, settled);
    void settled.then(() => {
      if (this.turns.get(team) === settled) this.turns.delete(team);
    });
    return turn;
  }

  /** True when a run of `team` ending may let one of its held runs start. */
  async isLimited(team: string | null): Promise<boolean> {
    return (await this.limitOf(team)) !== null;
  }

  private async limitOf(team: string | null): Promise<number | null> {
    if (!team) return null;
    return (await this.db.getTeam(team))?.maxRunning ?? null;
  }
}
