/**
 * GET /models/:name/report (the serving version) and
 * GET /models/:name/versions/:version/report: the version's report.html,
 * served only if its bytes match the sha256 its manifest lists (shared/verify.ts),
 * as static HTML under a Content-Security-Policy that allows no script and no
 * network access. A refused report is a 503 whose reason /healthz shows under
 * `reports`; scoring is not affected (the model's own files are checked on load).
 */
import type { Context } from "hono";
import { keys, MANIFEST_FILE, REPORT_FILE, SIGNATURE_FILE, VERSION_PATTERN, type Manifest } from "../../shared/artifact.ts";
import type { TrustedKeys } from "../../shared/signing.ts";
import { verifyFile, verifyManifest, verifyManifestSignature } from "../../shared/verify.ts";
import { requireKeys } from "../signing.ts";
import type { AppEnv } from "../context.ts";
import { describeKey, fail } from "../errors.ts";
import { readSmall, withTimeout } from "../loader.ts";
import { deferTo, modelFailure, modelNameParam, models } from "../models.ts";

type C = Context<AppEnv>;

export interface ReportProblem { version: string; error: string; at: string }

const MAX_PROBLEMS = 32;
const problems = new Map<string, ReportProblem>();

/** Reports refused since this isolate started, by `name@version`, for /healthz. */
export function reportProblems(): Record<string, ReportProblem> {
  return Object.fromEntries(problems);
}

function note(name: string, version: string, error: string | undefined): void {
  const key = `${name}@${version}`;
  if (error === undefined) { problems.delete(key); return; }
  if (!problems.has(key) && problems.size >= MAX_PROBLEMS) problems.delete(problems.keys().next().value as string);
  problems.set(key, { version, error, at: new Date().toISOString() });
}

/** The page may use its own inline stylesheets (by hash) and data: images; nothing else, ever. */
async function contentSecurityPolicy(html: string): Promise<string> {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<style>([\s\S]*?)<\/style>/g)) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(m[1]));
    hashes.push(`'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
  }
  return `default-src 'none'; style-src ${hashes.length ? hashes.join(" ") : "'none'"}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** True when an If-None-Match header lists `etag` (or `*`); weak and strong forms compare equal. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => { const v = t.trim().replace(/^W\//, ""); return v === etag || v === "*"; });
}

async function serve(c: C, manifest: Manifest, immutable: boolean): Promise<Response> {
  const { name, version } = manifest;
  c.set("modelVersion", version);
  const entry = manifest.files[REPORT_FILE];
  if (!entry) return fail(c, 404, "report_not_found", `version ${version} of "${name}" was published without a report (before reports existed)`);
  const etag = `"${entry.sha256}"`;
  const cache = immutable ? "private, max-age=31536000, immutable" : "private, no-cache";
  if (matches(c.req.header("if-none-match"), etag)) {
    return c.body(null, 304, { ETag: etag, "Cache-Control": cache });
  }
  const key = keys.file(name, version, REPORT_FILE);
  const timeout = c.get("settings").r2TimeoutMs;
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    const obj = await withTimeout(c.env.MODELS.get(key), timeout, `reading ${key}`);
    if (obj) bytes = new Uint8Array(await withTimeout(obj.arrayBuffer(), timeout, `reading ${key}`));
  } catch (e) {
    return fail(c, 503, "report_unavailable", `the report could not be read: ${(e as Error).message}`, undefined, { "Retry-After": "5" });
  }
  const problem = bytes ? await verifyFile(manifest, REPORT_FILE, bytes) : `${REPORT_FILE} is missing`;
  if (problem || !bytes) {
    note(name, version, `${key}: ${problem}`);
    console.log(JSON.stringify({ event: "report_refused", model: name, version, error: problem }));
    return fail(c, 503, "report_unavailable", `the report of ${name}@${version} failed verification and is not served; GET /healthz says why`);
  }
  note(name, version, undefined);
  const html = new TextDecoder().decode(bytes);
  return c.body(bytes, 200, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": await contentSecurityPolicy(html),
    ETag: etag,
    "Cache-Control": cache,
    "X-Model-Version": version,
  });
}

/** A version's manifest straight from R2 (for versions that are not loaded): verified for name, version and shape. */
async function readManifest(bucket: R2Bucket, name: string, version: string, timeoutMs: number, trusted: TrustedKeys | undefined): Promise<Manifest | { missing: true } | { error: string }> {
  const key = keys.file(name, version, MANIFEST_FILE);
  const obj = await withTimeout(bucket.get(key), timeoutMs, `reading ${key}`);
  if (!obj) return { missing: true };
  const bytes = new Uint8Array(await withTimeout(obj.arrayBuffer(), timeoutMs, `reading ${key}`));
  const parsed = await verifyManifest(bytes, { name, version });
  if (!parsed.ok) return { error: `${key}: ${parsed.error}` };
  if (trusted) {
    // With signing on, a version's report is served only if its manifest is signed, as a loaded version's is.
    const sigKey = keys.file(name, version, SIGNATURE_FILE);
    const check = await verifyManifestSignature(trusted, bytes, await readSmall(bucket, sigKey, timeoutMs));
    if (!check.ok) return { error: `${key}: ${check.error}` };
  }
  return parsed.value;
}

/** GET /models/:name/report — the version serving now (its manifest as loaded, verified against the pointer). */
export async function currentReport(c: C): Promise<Response> {
  const name = modelNameParam(c);
  if (typeof name !== "string") return name;
  // Only the manifest (plain data) leaves the callback: no tensor is used after it returns.
  const r = await models(c).use(name, deferTo(c), (m) => m.manifest);
  if (!r.ok) return modelFailure(c, name, r);
  return serve(c, r.value, false);
}

/** GET /models/:name/versions/:version/report — one version's report; immutable, so cacheable for a year. */
export async function versionReport(c: C): Promise<Response> {
  const name = modelNameParam(c);
  if (typeof name !== "string") return name;
  const version = c.req.param("version") ?? "";
  if (!VERSION_PATTERN.test(version)) return fail(c, 404, "version_not_found", `${JSON.stringify(describeKey(version))} is not a version id (like 20261129T081500Z-1a2b3c4d)`);
  const loaded = models(c).peek(name);
  if (loaded?.version === version) return serve(c, loaded.manifest, true);
  let m: Awaited<ReturnType<typeof readManifest>>;
  try {
    m = await readManifest(c.env.MODELS, name, version, c.get("settings").r2TimeoutMs, await requireKeys(c.get("settings").signingKeys));
  } catch (e) {
    return fail(c, 503, "report_unavailable", `the manifest could not be read: ${(e as Error).message}`, undefined, { "Retry-After": "5" });
  }
  if ("missing" in m) return fail(c, 404, "version_not_found", `version ${version} of "${name}" does not exist`);
  if ("error" in m) {
    note(name, version, m.error);
    return fail(c, 503, "report_unavailable", `version ${version} of "${name}" failed verification; GET /healthz says why`);
  }
  return serve(c, m, true);
}
