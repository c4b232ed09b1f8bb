import { PanCodeError } from "@pancode/core";
import type { ImageInfo } from "@pancode/sandbox";

/** Label of the agent image listing the agent CLIs baked into it (written by deploy/images/agent.Dockerfile). */
const RUNTIMES_LABEL = "pancode.runtimes";

/**
 * Runtimes an image can run: `command` always (any image has a shell), plus the agent CLIs its label lists, among
 * those this build of PanCode knows. The process sandbox has no image: only `command` is promised there.
 */
export function runtimesOf(image: ImageInfo, known: readonly string[]): string[] {
  const listed = (image.labels[RUNTIMES_LABEL] ?? "").split(",").map((r) => r.trim());
  return known.filter((runtime) => runtime === "command" || listed.includes(runtime));
}

/** Refuses, before anything starts, a run whose runtime is not in its image, saying what the image has. */
export function requireRuntime(image: ImageInfo, imageName: string, runtime: string, known: readonly string[]): void {
  const available = runtimesOf(image, known);
  if (!available.includes(runtime)) {
    throw new PanCodeError(
      "SANDBOX_FAILED",
      `image ${imageName} does not contain runtime "${runtime}" (it has: ${available.join(", ")}); use an image built by deploy/images/build-images.sh`,
    );
  }
}
