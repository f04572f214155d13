/** Waiting for a challenger move to reach the worker: its pointer refresh logs the load or stop. */
import { expect } from "vitest";
import type { TestWorker } from "./worker.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitForLog(w: TestWorker, match: (line: string) => boolean, ms = 5000): Promise<string | undefined> {
  for (let t = 0; t < ms; t += 50) {
    const hit = w.logs.find(match);
    if (hit) return hit;
    await sleep(50);
  }
  return undefined;
}

/** Sends a request now and then (each may start the pointer's refresh) until the worker logs `event` for the model and role. */
export async function settle(w: TestWorker, name: string, event: string, role: string, applicant: Record<string, unknown>): Promise<void> {
  const match = (l: string) => l.includes(`"event":"${event}"`) && l.includes(`"model":"${name}"`) && l.includes(`"role":"${role}"`);
  for (let i = 0; i < 40 && !w.logs.some(match); i++) {
    await w.post(`/models/${name}/predict?explain=false`, { instances: [applicant] }, { "x-request-id": `settle-${i}` });
    await sleep(150);
  }
  expect(w.logs.some(match), `${event} ${role} of ${name}`).toBe(true);
}
