/**
 * The shadow's work for one request, handed to `waitUntil` after the answer
 * is built: it first yields to the event loop so the response goes out, then
 * scores the same instances with the shadow (its own validation: a shadow may
 * accept other features), and never touches the response. Whatever happens
 * here is logged only (ids, version, counts and time: never feature values).
 */
import type { Log } from "./context.ts";
import type { ModelRegistry } from "./registry.ts";
import { score, type Scored } from "./score.ts";

export interface ShadowRequest {
  model: string;
  requestId: string;
  instances: unknown[];
  topK: number;
}

/** `after` receives the shadow's answers (capture records them with role "shadow"). */
export async function scoreShadow(registry: ModelRegistry, r: ShadowRequest, log: Log, after?: (scored: Extract<Scored, { ok: true }>) => void): Promise<void> {
  await new Promise((done) => setTimeout(done, 0));
  try {
    const started = performance.now();
    const out = registry.useShadow(r.model, (m) => score(m, r.instances, r.topK, "shadow"));
    if (!out) return; // stopped meanwhile
    const ms = Number((performance.now() - started).toFixed(3));
    const scored = out.value;
    if (!scored.ok) {
      log({ event: "shadow_refused", id: r.requestId, model: r.model, version: scored.version, invalid: scored.invalid, instances: r.instances.length });
      return;
    }
    log({ event: "shadow_scored", id: r.requestId, model: r.model, version: scored.model.version, instances: scored.answers.count, ms });
    after?.(scored);
  } catch (e) {
    log({ event: "shadow_failed", id: r.requestId, model: r.model, error: e instanceof Error ? e.message : String(e) });
  }
}
