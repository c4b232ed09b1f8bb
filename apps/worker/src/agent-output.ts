import { costOf, type OutputParser } from "@pancode/agents";
import { type AgentEvent, addUsage, type ModelPrice, type Usage, ZERO_USAGE } from "@pancode/core";
import { OUTPUT_TAIL_BYTES } from "./event-reporter.js";

/** Where normalised events and raw output go (the run's event reporter). */
export interface AgentOutputSink {
  output(stream: "stdout" | "stderr", text: string): void;
  agent(event: AgentEvent): void;
}

/**
 * Routes a sandbox's output. With a runtime parser, stdout is the agent's JSON stream: it is split into lines,
 * normalised, and only the normalised events are reported (the raw stream repeats every token as deltas); stderr
 * passes through. Without a parser (plain commands) both streams pass through. Usage is totalled for the run's cost;
 * with a `price` (the run's model, from the cluster's price table), usage a CLI could not price (costUsd null) is
 * priced here, so events and total carry the cost.
 */
export class AgentOutput {
  private pending = "";
  private rawTail = "";
  private finalText = "";
  private usageTotal: Usage = ZERO_USAGE;
  private turnCount = 0;
  /** The agent's own last error, cleared when it recovered (answered again after it). */
  private lastError = "";

  constructor(
    private readonly sink: AgentOutputSink,
    private readonly parser: OutputParser | undefined,
    private readonly price?: ModelPrice,
    /** Called with the run's running total after each usage report (the per-run cost cap watches it). */
    private readonly onUsage?: (total: Usage) => void,
    /**
     * The run's model proxy meters its cost: the CLI's own usage reports are only totalled as a cross-check and
     * never reported as usage (anything in the container can write to the CLI's stream).
     */
    private readonly meteredByProxy = false,
  ) {}

  push(stream: "stdout" | "stderr", text: string): void {
    this.rawTail = (this.rawTail + text).slice(-OUTPUT_TAIL_BYTES);
    if (!this.parser || stream === "stderr") {
      this.sink.output(stream, text);
      return;
    }
    this.pending += text;
    let newline = this.pending.indexOf("\n");
    while (newline >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line) this.emit(this.parser.push(line));
      newline = this.pending.indexOf("\n");
    }
  }

  /** Flushes a last unterminated line and the parser's owed events. */
  finish(): void {
    if (!this.parser) return;
    const rest = this.pending.trim();
    this.pending = "";
    if (rest) this.emit(this.parser.push(rest));
    this.emit(this.parser.finish());
  }

  private emit(events: AgentEvent[]): void {
    for (const raw of events) {
      const event = this.priced(raw);
      if (event.type === "usage") this.usageTotal = addUsage(this.usageTotal, event.usage);
      if (event.type === "usage" && this.meteredByProxy) continue;
      if (event.type === "final") this.finalText = event.text;
      if (event.type === "turn_start") this.turnCount = event.turn;
      if (event.type === "agent_error") this.lastError = event.message;
      else if (event.type === "assistant_text" || event.type === "tool_call") this.lastError = "";
      this.sink.agent(event);
      if (event.type === "usage") this.onUsage?.(this.usageTotal);
    }
  }

  private priced(event: AgentEvent): AgentEvent {
    if (event.type !== "usage" || event.usage.costUsd !== null || !this.price) return event;
    return { type: "usage", usage: { ...event.usage, costUsd: costOf(this.price, event.usage) } };
  }

  /**
   * Why the agent failed by its own account, or "" when it did not. Some CLIs exit 0 after every model call failed
   * (Pi does), so the stream, not the exit code, decides.
   */
  failure(): string {
    return this.lastError;
  }

  /** The CLI's own usage report (with a model proxy, only a cross-check). */
  usage(): Usage {
    return this.usageTotal;
  }

  turns(): number {
    return this.turnCount;
  }

  /** What the run "said": the agent's final answer, or the raw output tail of plain commands and dead agents. */
  outputTail(): string {
    return this.finalText ? this.finalText.slice(-OUTPUT_TAIL_BYTES) : this.rawTail;
  }
}
