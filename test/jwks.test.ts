/**
 * JWT authentication when the identity provider misbehaves, in workerd
 * against a real JWKS server on loopback: a JWKS that cannot be fetched is
 * retried with back-off (counted at the server), redirects are not followed,
 * forged tokens are rate-limited and learn nothing about iss/aud, and the
 * public /healthz says the service is not ready.
 */
import { afterEach, describe, expect, it } from "vitest";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { TestIdp, type IdpMode } from "./helpers/idp.ts";
import { startWorker, type TestWorker, type WorkerOptions } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };

interface ErrorBody { error: { code: string; message: string } }
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** An identity provider with one RS256 key, in `mode`, and a worker with AUTH_MODE=jwt against it. */
async function setUp(mode: IdpMode, options: WorkerOptions = {}, bindings: Record<string, string> = {}): Promise<{ idp: TestIdp; w: TestWorker }> {
  const idp = new TestIdp();
  await idp.addKey("rsa-1", "RS256");
  await idp.start();
  idp.mode = mode;
  cleanup.push(() => idp.close());
  const w = await startWorker({ ...idp.bindings(), ...bindings }, options);
  cleanup.push(() => w.dispose());
  return { idp, w };
}

async function predict(w: TestWorker, token: string): Promise<[number, string]> {
  const res = await w.post("/predict", { instances: [applicant] }, bearer(token));
  return [res.status, ((await res.json()) as ErrorBody).error?.code ?? "ok"];
}

describe("an identity provider that is down (AUTH_MODE=jwt)", () => {
  it("retries the JWKS after 2 s, then 4 s (doubling), not on every request, and serves once it is back", async () => {
    const { idp, w } = await setUp("error");
    const token = await idp.sign(idp.claims("u"));
    for (let i = 0; i < 10; i++) expect(await predict(w, token)).toEqual([503, "auth_unavailable"]);
    expect(idp.hits).toBe(1);
    await sleep(2_100);
    expect(await predict(w, token)).toEqual([503, "auth_unavailable"]);
    expect(idp.hits).toBe(2);
    await sleep(2_100); // 2.1 s into a 4 s back-off: no fetch yet
    expect(await predict(w, token)).toEqual([503, "auth_unavailable"]);
    expect(idp.hits).toBe(2);
    idp.mode = "up";
    await sleep(2_000);
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
    expect((await predict(w, token))[0]).toBe(200);
    expect(idp.hits).toBe(3);
    expect(w.logs.filter((l) => l.includes('"event":"jwks_fetch_failed"')).length).toBe(2);
  });

  it("refuses with 401, without asking for keys, a token that could never be valid: no exp, expired, not yet valid, wrong alg, malformed", async () => {
    const { idp, w } = await setUp("error", {}, { AUTH_MODE: "keys+jwt", API_KEYS: "scoring-key-5b2f0c9e" });
    const now = Math.floor(Date.now() / 1000);
    const { exp: _exp, ...noExp } = idp.claims("u");
    const cases: [string, string, string][] = [
      ["no exp", await idp.sign(noExp), "token_invalid"],
      ["exp in the past", await idp.sign(idp.claims("u", { exp: now - 3600 })), "token_expired"],
      ["nbf in the future", await idp.sign(idp.claims("u", { nbf: now + 3600 })), "token_not_yet_valid"],
      ["alg HS256", await idp.sign(idp.claims("u"), undefined, { alg: "HS256" }), "token_algorithm_not_allowed"],
      ["a payload that is not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "token_invalid"],
      ["a payload that is not an object", `eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.${Buffer.from("[1]").toString("base64url")}.c2ln`, "token_invalid"],
    ];
    for (const [name, token, code] of cases) {
      const res = await w.post("/predict", { instances: [applicant] }, bearer(token));
      const body = (await res.json()) as ErrorBody;
      expect([name, res.status, body.error.code, res.headers.get("retry-after")]).toEqual([name, 401, code, null]);
    }
    expect(idp.hits).toBe(0);
    // A token that could be valid still waits for the keys.
    expect(await predict(w, await idp.sign(idp.claims("u")))).toEqual([503, "auth_unavailable"]);
    expect(idp.hits).toBe(1);
  });

  it("counts forged tokens against the client's IP: 429 after the limit, not 503 forever", async () => {
    const { idp, w } = await setUp("error", { rateLimit: { limit: 3, period: 10 } }, { RATE_LIMIT_PERIOD_SECONDS: "10" });
    const forger = new TestIdp();
    await forger.addKey("rsa-1", "RS256");
    // Start right after a window boundary so the burst below falls in one window.
    await sleep(10_050 - (Date.now() % 10_000));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await predict(w, await forger.sign(idp.claims(`forged-${i}`))))[0]);
    expect(statuses).toEqual([503, 503, 503, 429, 429]);
  }, 30_000);

  it("does not follow a redirect from the JWKS URL: a 3xx is a failed fetch", async () => {
    const { idp, w } = await setUp("redirect");
    expect(await predict(w, await idp.sign(idp.claims("u")))).toEqual([503, "auth_unavailable"]);
    expect(idp.hits).toBe(1);
    expect(idp.redirectedHits).toBe(0);
    expect(w.logs.join("\n")).toContain("redirects are not followed");
  });

  it("reports not ready at the public /healthz while no keys can be fetched, naming no URL or issuer, and ready once they can", async () => {
    const operator = bearer("operator-key-77d1a3f0");
    const { idp, w } = await setUp("error", {}, { AUTH_MODE: "keys+jwt", OPERATOR_KEYS: "operator-key-77d1a3f0" });
    const down = await w.fetch("/healthz");
    const text = await down.text();
    expect([down.status, JSON.parse(text)]).toEqual([503, { ok: false, reasons: ["auth_unavailable"] }]);
    expect(text).not.toMatch(/127\.0\.0\.1|jwks|idp\.example|edgescore-api/i);
    // Operators (here with an API key) see why; asking again within the back-off fetched nothing.
    const details = (await (await w.fetch("/healthz", { headers: operator })).json()) as { jwks: unknown };
    expect(details.jwks).toEqual({ keys: 0, failedFetches: 1, lastError: "HTTP 500" });
    expect(idp.hits).toBe(1);
    idp.mode = "up";
    await sleep(2_100);
    const up = await w.fetch("/healthz");
    expect([up.status, await up.json()]).toEqual([200, { ok: true }]);
  });
});

describe("forged tokens (AUTH_MODE=jwt)", () => {
  it("checks the signature before iss and aud: a forged token learns nothing about either", async () => {
    const { idp, w } = await setUp("up");
    const forger = new TestIdp();
    await forger.addKey("rsa-1", "RS256");
    const claims = [idp.claims("u", { iss: "https://guess.example/" }), idp.claims("u", { aud: "guess" }), idp.claims("u", { iss: "https://guess.example/", aud: "guess" })];
    for (const c of claims) {
      expect(await predict(w, await forger.sign(c))).toEqual([401, "token_invalid_signature"]);
      const signed = await idp.sign(c);
      expect(await predict(w, `${signed.slice(0, signed.lastIndexOf(".") + 1)}${signed.slice(-20)}`)).toEqual([401, "token_invalid_signature"]);
    }
    // Signed by the provider, the same claims are refused for what they are.
    expect(await predict(w, await idp.sign(claims[0]!))).toEqual([401, "token_wrong_issuer"]);
    expect(await predict(w, await idp.sign(claims[1]!))).toEqual([401, "token_wrong_audience"]);
  });
});
