import { expect, it } from "vitest";
import { isSettled } from "./run-settled.js";

const now = Date.parse("2026-12-05T04:00:00Z");
const ended = (receiptId: string, secondsAgo: number) => ({
  status: "done" as const,
  receiptId,
  finishedAt: new Date(now - secondsAgo * 1000),
});

it("holds a group on a run that ended but whose receipt is not written yet", () => {
  expect(isSettled(ended("", 1), now)).toBe(false);
  expect(isSettled(ended("r-1", 1), now)).toBe(true);
});

it("goes on without a receipt that never came (30 s after the run ended)", () => {
  expect(isSettled(ended("", 29), now)).toBe(false);
  expect(isSettled(ended("", 30), now)).toBe(true);
});

it("never counts a run that has not ended", () => {
  expect(isSettled({ status: "running", receiptId: "", finishedAt: null }, now)).toBe(false);
  expect(isSettled({ status: "error", receiptId: "r-2", finishedAt: new Date(now) }, now)).toBe(true);
});
