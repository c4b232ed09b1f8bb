/**
 * How the fault suite counts executions: every run executes in its own Docker container labelled
 * `pancode.run-id` and `pancode.worker-id` (packages/sandbox/src/docker/labels.ts), so each `start` event of such a
 * container is one execution of that run. The Docker engine reports them, not the system under test: a worker that
 * is SIGKILLed, a coordinator that forgets an attempt or a database that loses a row cannot hide an execution.
 *
 * The stream is `docker events --since <start>`, so events between starting the stream and its first read are not
 * missed. Other clusters on the same engine also start containers; only the runs a scenario submitted are counted.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const RUN_LABEL = "pancode.run-id";
const WORKER_LABEL = "pancode.worker-id";

/** One container start or exit, as the Docker engine reported it. */
interface ContainerEvent {
  action: "start" | "die";
  containerId: string;
  runId: string;
  workerId: string;
}

/** Container starts and exits of runs, from the Docker engine's event stream. */
export class ContainerStarts {
  private readonly events: ContainerEvent[] = [];
  private constructor(private readonly stream: ChildProcess) {}

  /** Starts following the engine's events from now (one second back, for clock granularity). */
  static follow(): ContainerStarts {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const stream = spawn(
      "docker",
      [
        "events",
        "--since",
        since,
        "--format",
        "{{json .}}",
        "--filter",
        "type=container",
        "--filter",
        "event=start",
        "--filter",
        "event=die",
        "--filter",
        `label=${RUN_LABEL}`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const starts = new ContainerStarts(stream);
    if (stream.stdout) createInterface({ input: stream.stdout }).on("line", (line) => starts.record(line));
    return starts;
  }

  /** Executions of a run so far: containers of the run that started. */
  executions(runId: string): number {
    return this.events.filter((e) => e.runId === runId && e.action === "start").length;
  }

  /** True once every started container of the run has exited. */
  finished(runId: string): boolean {
    const mine = this.events.filter((e) => e.runId === runId);
    const started = mine.filter((e) => e.action === "start").map((e) => e.containerId);
    const exited = new Set(mine.filter((e) => e.action === "die").map((e) => e.containerId));
    return started.length > 0 && started.every((id) => exited.has(id));
  }

  /** Waits until the stream has seen `count` starts of each run (events arrive a few ms after the fact). */
  async settled(runIds: readonly string[], timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && runIds.some((id) => this.executions(id) === 0)) await sleep(100);
    // Exits trail starts; one more beat lets a last event of the stream arrive.
    await sleep(500);
  }

  /** Runs of `runIds` with a container running right now on `workerId`, asked of the engine itself. */
  async runningOn(workerId: string, runIds: readonly string[]): Promise<string[]> {
    const { stdout } = await execFileAsync("docker", [
      "ps",
      "--filter",
      `label=${WORKER_LABEL}=${workerId}`,
      "--format",
      `{{.Label "${RUN_LABEL}"}}`,
    ]);
    const running = new Set(stdout.split("\n").filter(Boolean));
    return runIds.filter((id) => running.has(id));
  }

  /** Removes every container of these runs (a killed worker's containers outlive it) and stops following. */
  async stop(runIds: readonly string[]): Promise<void> {
    this.stream.kill("SIGTERM");
    const ids = [...new Set(this.events.filter((e) => runIds.includes(e.runId)).map((e) => e.containerId))];
    if (ids.length > 0) await execFileAsync("docker", ["rm", "-f", ...ids]).catch(() => undefined);
  }

  private record(line: string): void {
    try {
      const event = JSON.parse(line) as {
        Action?: string;
        Actor?: { ID?: string; Attributes?: Record<string, string> };
      };
      const attributes = event.Actor?.Attributes ?? {};
      const action = event.Action;
      if (action !== "start" && action !== "die") return;
      this.events.push({
        action,
        containerId: event.Actor?.ID ?? "",
        runId: attributes[RUN_LABEL] ?? "",
        workerId: attributes[WORKER_LABEL] ?? "",
      });
    } catch {
      // Not a JSON event line (the engine never sends one, but a partial line must not crash the suite).
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
