import { hostname, userInfo } from "node:os";

/** `submitter` recorded on runs: who dispatched from where. */
export function submitterName(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch (_err) {
    // Containers without a passwd entry: keep "unknown".
  }
  return `${user}@${hostname()}`;
}
