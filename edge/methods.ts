/**
 * 405 method_not_allowed with `Allow` for a known path and another method
 * (`GET /predict`), instead of 404. Computed from the routes registered on
 * the app, so a route added with `app.get(...)` before this runs is covered
 * without anything else to update.
 */
import type { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { describeKey, fail } from "./errors.ts";

export function answerOtherMethods(app: Hono<AppEnv>): void {
  const byPath = new Map<string, Set<string>>();
  for (const r of app.routes) {
    if (r.method === "ALL" || r.path.includes("*") || r.path.startsWith("/__bench")) continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    if (r.method === "GET") methods.add("HEAD");
    byPath.set(r.path, methods);
  }
  for (const [path, methods] of byPath) {
    const allow = [...methods].sort().join(", ");
    app.all(path, (c) => fail(c, 405, "method_not_allowed", `${describeKey(c.req.method)} is not allowed here; use ${allow}`, undefined, { Allow: allow }));
  }
}
