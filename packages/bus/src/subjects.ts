import { PanCodeError } from "@pancode/core";

/** Default first subject token; tasks live under `pancode.tasks.<pool>`, control under `pancode.control`. */
export const DEFAULT_SUBJECT_PREFIX = "pancode";

// Pools become a subject token and part of a durable consumer name, so both NATS rule sets must hold.
const POOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Throws INVALID_ARGUMENT unless `pool` is 1-64 characters of letters, digits, `_` and `-`. */
export function assertPoolName(pool: string): void {
  if (!POOL_NAME.test(pool)) {
    throw new PanCodeError("INVALID_ARGUMENT", `invalid pool name ${JSON.stringify(pool)}: use 1-64 of [A-Za-z0-9_-]`);
  }
}

/** Throws INVALID_ARGUMENT unless `prefix` is dot-separated tokens without wildcards. */
export function assertSubjectPrefix(prefix: string): void {
  if (!SUBJECT_PREFIX.test(prefix)) {
    throw new PanCodeError("INVALID_ARGUMENT", `invalid subject prefix ${JSON.stringify(prefix)}`);
  }
}

/** Subject a pool's tasks are published on: `<prefix>.tasks.<pool>`. */
export function taskSubject(prefix: string, pool: string): string {
  return `${prefix}.tasks.${pool}`;
}

/** Subjects the task stream captures: `<prefix>.tasks.>`. */
export function taskSubjectWildcard(prefix: string): string {
  return `${prefix}.tasks.>`;
}

/** The pool a task subject belongs to, or undefined when the subject is not a task subject under `prefix`. */
export function poolFromTaskSubject(prefix: string, subject: string): string | undefined {
  const head = `${prefix}.tasks.`;
  if (!subject.startsWith(head)) return undefined;
  const pool = subject.slice(head.length);
  return POOL_NAME.test(pool) ? pool : undefined;
}

/** Subject of the control broadcast: `<prefix>.control`. */
export function controlSubject(prefix: string): string {
  return `${prefix}.control`;
}

/** Durable name of the one pull consumer all workers of a pool share: `pool-<pool>`. */
export function poolConsumerName(pool: string): string {
  return `pool-${pool}`;
}
