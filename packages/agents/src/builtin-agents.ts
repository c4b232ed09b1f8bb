import { AgentSpec, ALL_TOOLS, READONLY_TOOLS } from "./agent-spec.js";
import {
  BUILDER_PROMPT,
  DEV_PROMPT,
  DOCUMENTER_PROMPT,
  PLAN_REVIEWER_PROMPT,
  PLANNER_PROMPT,
  RED_TEAM_PROMPT,
  REVIEWER_PROMPT,
  SCOUT_PROMPT,
} from "./builtin-prompts.js";

const MINUTE = 60_000;

/** Agents that write code and run the project's tests get more memory and processes than the default. */
const BUILD_LIMITS = { memoryMb: 4096, cpus: 1, pids: 1024 };

/** Read-only agents may run tests (reviewer, red-team) and so get bash: the read-only mount is what protects. */
const READONLY_WITH_BASH = ["read", "bash", "grep", "find", "ls"];

/**
 * Fields shared by every coding agent: Pi with the cluster's default model and no network (the run's model proxy and
 * the coordinator are reached through its sockets).
 */
const CODING = { runtime: "pi", model: "", network: "none" } as const;

/**
 * The built-in fleet. Coding agents run on `pi` with the cluster's default model (a cluster or repository agent of
 * the same name replaces one). `shell` runs the task text as a shell command in /workspace: the plain "command"
 * runtime, for scripted changes (`sed`, codemods, formatters) and tests; it needs no model and no network.
 */
export const BUILTIN_AGENTS: readonly AgentSpec[] = [
  {
    ...CODING,
    name: "dev",
    description:
      "General coding agent (the default): fixes, features, refactors and tests, verified by the test suite.",
    tools: ALL_TOOLS,
    maxTurns: 50,
    timeoutMs: 30 * MINUTE,
    limits: BUILD_LIMITS,
    prompt: DEV_PROMPT,
  },
  {
    ...CODING,
    name: "builder",
    description: "Implements a given plan or specification step by step, with tests.",
    tools: ALL_TOOLS,
    maxTurns: 50,
    timeoutMs: 30 * MINUTE,
    limits: BUILD_LIMITS,
    prompt: BUILDER_PROMPT,
  },
  {
    ...CODING,
    name: "planner",
    description: "Read-only: studies the code and writes a step-by-step implementation plan.",
    tools: READONLY_TOOLS,
    readonly: true,
    maxTurns: 25,
    timeoutMs: 15 * MINUTE,
    prompt: PLANNER_PROMPT,
  },
  {
    ...CODING,
    name: "scout",
    description: "Read-only: fast reconnaissance; reports facts with file and line, no opinions.",
    tools: READONLY_TOOLS,
    readonly: true,
    maxTurns: 15,
    timeoutMs: 10 * MINUTE,
    prompt: SCOUT_PROMPT,
  },
  {
    ...CODING,
    name: "reviewer",
    description: "Read-only: reviews code for bugs, security and test gaps; findings by severity with fixes.",
    tools: READONLY_WITH_BASH,
    readonly: true,
    maxTurns: 25,
    timeoutMs: 15 * MINUTE,
    prompt: REVIEWER_PROMPT,
  },
  {
    ...CODING,
    name: "plan-reviewer",
    description: "Read-only: checks an implementation plan against the code before it is built.",
    tools: READONLY_TOOLS,
    readonly: true,
    maxTurns: 20,
    timeoutMs: 15 * MINUTE,
    prompt: PLAN_REVIEWER_PROMPT,
  },
  {
    ...CODING,
    name: "red-team",
    description: "Read-only: adversarial security review; findings with severity, attack path and fix.",
    tools: READONLY_WITH_BASH,
    readonly: true,
    maxTurns: 25,
    timeoutMs: 15 * MINUTE,
    prompt: RED_TEAM_PROMPT,
  },
  {
    ...CODING,
    name: "documenter",
    description: "Writes and updates documentation in the project's own style; never changes behaviour.",
    tools: ["read", "edit", "write", "grep", "find", "ls"],
    maxTurns: 25,
    timeoutMs: 15 * MINUTE,
    prompt: DOCUMENTER_PROMPT,
  },
  {
    name: "shell",
    description: "Runs the task as a shell command (sh -c) in the workspace; no model involved.",
    runtime: "command",
    maxTurns: 0,
  },
].map((spec) => AgentSpec.parse(spec));
