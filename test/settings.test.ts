/**
 * Worker settings with values the edge cannot use: each falls back to its
 * safe default (the limits, the backend, rate limits on) and is reported,
 * in the operator's /healthz and once in the isolate's log, instead of
 * passing unseen.
 */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authConfig } from "../edge/auth/config.ts";
import { settings, type Env } from "../edge/env.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const BAD = { MAX_BATCH: "abc", MAX_BODY_BYTES: "-5", RATE_LIMIT: "maybe", CORS_ORIGINS: "https://app.example.com,*", REASONS_TOP_K: "x", TFJS_BACKEND: "gpu" };

describe("settings the edge cannot use", () => {
  it("fall back to their defaults, each named with what was given and what is used", () => {
    const s = settings({ ...BAD, RATE_LIMITER: {} } as unknown as Env);
    expect([s.maxBatch, s.maxBodyBytes, s.rateLimit.enabled, s.topK, s.backend, s.corsOrigins]).toEqual([1000, 1024 * 1024, true, 4, "wasm", ["https://app.example.com", "*"]]);
    expect(s.problems).toEqual([
      'CORS_ORIGINS has "*": origins are matched exactly (https://app.example.com), so a wildcard allows no origin; list each one',
      'MAX_BATCH is "abc"; expected a whole number >= 1: 1000 is used',
      'MAX_BODY_BYTES is "-5"; expected a whole number >= 1024: 1048576 is used',
      'RATE_LIMIT is "maybe"; expected "on" or "off": "on" is used',
      'TFJS_BACKEND is "gpu"; expected "wasm" or "cpu": "wasm" is used',
      'REASONS_TOP_K is "x"; expected a whole number >= 0: 4 is used',
    ]);
    expect(settings({} as Env).problems).toEqual([]);
    // The shipped wrangler.toml's values are all usable.
    const vars = (parse(readFileSync("wrangler.toml", "utf8")) as { vars: Record<string, string> }).vars;
    expect(settings(vars as unknown as Env).problems).toEqual([]);
    // An unknown AUTH_MODE fails closed (auth.problems, 503) and names what was given.
    expect(authConfig({ AUTH_MODE: "keyz" } as Env).modeProblems).toEqual(['AUTH_MODE is "keyz"; it must be keys, jwt, keys+jwt or off']);
    expect(settings({ RATE_LIMIT: "off", TFJS_BACKEND: "cpu", SIMD_KERNEL: "off", PASS_THROUGH_KEY: "" } as Env).problems).toEqual([]);
  });

  it("BODY_TIMEOUT_SECONDS: 1 to 300 seconds, 30 by default; anything else is reported and 30 used", () => {
    expect(settings({} as Env).bodyTimeoutMs).toBe(30_000);
    expect(settings({ BODY_TIMEOUT_SECONDS: "5" } as Env).bodyTimeoutMs).toBe(5_000);
    for (const v of ["0", "301", "1.5", "soon"]) {
      const s = settings({ BODY_TIMEOUT_SECONDS: v } as Env);
      expect([s.bodyTimeoutMs, s.problems]).toEqual([30_000, [`BODY_TIMEOUT_SECONDS is "${v}"; expected a whole number from 1 to 300: 30 is used`]]);
    }
  });

  describe("in workerd", () => {
    let w: TestWorker;
    beforeAll(async () => { w = await startWorker(BAD); });
    afterAll(async () => { await w.dispose(); });

    it("lists them in /healthz and logs them once, and the defaults apply", async () => {
      const health = (await (await w.fetch("/healthz")).json()) as { settings: { problems: string[] } };
      expect(health.settings.problems).toHaveLength(6);
      expect(health.settings.problems[1]).toBe('MAX_BATCH is "abc"; expected a whole number >= 1: 1000 is used');
      await w.fetch("/healthz");
      expect(w.logs.filter((l) => l.includes('"event":"setting_ignored"') && l.includes("MAX_BATCH"))).toHaveLength(1);
    });
  });
});
