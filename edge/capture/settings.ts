/**
 * CAPTURE and CAPTURE_SAMPLE as the edge applies them. Capture needs the
 * queue binding: without DECISIONS_QUEUE (a wrangler.toml from before
 * capture) it is off, and the operator's /healthz says why. A value that
 * does not parse turns capture off too (and says so) rather than guessing
 * how much applicant data to keep.
 */
import type { CaptureMode } from "../../shared/decisions/record.ts";
import type { Env } from "../env.ts";

export interface CaptureSettings {
  mode: CaptureMode;
  /** Share of requests captured, 0 to 1. */
  sample: number;
  /** Why capture is off although asked for (or what was ignored), for /healthz. */
  problem?: string;
}

const MODES: readonly string[] = ["off", "decisions", "full"];

export function captureSettings(env: Pick<Env, "CAPTURE" | "CAPTURE_SAMPLE" | "DECISIONS_QUEUE">): CaptureSettings {
  const asked = (env.CAPTURE ?? "").trim() || "full";
  const rawSample = (env.CAPTURE_SAMPLE ?? "").trim();
  const x = Number(rawSample);
  const sampleOk = rawSample === "" || (Number.isFinite(x) && x >= 0 && x <= 1);
  const sample = rawSample === "" || !sampleOk ? 1 : x;
  if (!MODES.includes(asked)) return { mode: "off", sample, problem: `CAPTURE is ${JSON.stringify(asked.slice(0, 40))}; expected "off", "decisions" or "full": capture is off` };
  const mode = asked as CaptureMode;
  if (mode !== "off" && !env.DECISIONS_QUEUE) return { mode: "off", sample, problem: `CAPTURE is "${mode}" but the DECISIONS_QUEUE binding is missing (wrangler.toml [[queues.producers]]): capture is off` };
  if (!sampleOk) return { mode, sample, problem: `CAPTURE_SAMPLE is ${JSON.stringify(rawSample.slice(0, 40))}; expected a number from 0 to 1: every request is captured` };
  return { mode, sample };
}

/** Whether the request with this capture id (a UUID) is in the sample: its first 32 bits as a fraction, so the choice is reproducible from the id. */
export function sampled(captureId: string, sample: number): boolean {
  if (sample >= 1) return true;
  if (sample <= 0) return false;
  return parseInt(captureId.slice(0, 8), 16) / 0x1_0000_0000 < sample;
}
