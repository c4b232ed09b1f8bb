import { PanCodeError } from "@pancode/core";
import type { Database, TeamRow } from "@pancode/db";
import { checkName } from "./api-tokens.js";

export type { TeamRow };

/** The team store as team management uses it. */
export type TeamStore = Pick<Database, "setTeamMaxRunning" | "listTeams">;

/** Teams and their limit of running runs (their budgets are the budget service's). */
export class Teams {
  constructor(private readonly db: TeamStore) {}

  /** Creates the team or sets its limit; 0 means no limit. INVALID_ARGUMENT for a bad name or a negative limit. */
  setMaxRunning(name: string, maxRunning: number): Promise<TeamRow> {
    checkName("team", name);
    if (!Number.isInteger(maxRunning) || maxRunning < 0) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `max running must be a whole number >= 0 (0 = no limit), got ${maxRunning}`,
      );
    }
    return this.db.setTeamMaxRunning(name, maxRunning > 0 ? maxRunning : null);
  }

  /** Every team. */
  list(): Promise<TeamRow[]> {
    return this.db.listTeams();
  }
}
