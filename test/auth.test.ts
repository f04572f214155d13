/**
 * Authentication, scopes and rate limits in workerd: JWTs from a stand-in
 * identity provider (WebCrypto keys, JWKS served over real HTTP on loopback),
 * API keys with scopes, configurations that must fail closed, and the
 * Workers Rate Limiting binding as Miniflare runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishTo } from "../train/job.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { TestIdp } from "./helpers/idp.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const applicant = { Seniority: 9, Home: "rent", Time: 60, Age: 30, Marital: "married", Records: "no", Job: "freelance", Expenses: 73, Income: 129, Assets: 0, Debt: 0, Amount: 800, Price: 846 };
const SCORING_KEY = "scoring-key-5b2f0c9e";
const OPERATOR_KEY = "operator-key-77d1a3f0";

interface ErrorBody { error: { code: string; message: string; hint?: string } }
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("JWT and API keys (AUTH_MODE=keys+jwt)", () => {
  let w: TestWorker;
  const idp = new TestIdp();
  const tokens: string[] = [];
  /** Signs and remembers the token, so the log check below can look for it. */
  const token = async (...args: Parameters<TestIdp["sign"]>) => { const t = await idp.sign(...args); tokens.push(t); return t; };
  const predict = (headers: Record<string, string>) => w.post("/predict", { instances: [applicant] }, headers);

  beforeAll(async () => {
    await idp.addKey("rsa-1", "RS256");
    await idp.addKey("ec-1", "ES256");
    await idp.start();
    w = await startWorker({ ...idp.bindings("keys+jwt"), API_KEYS: SCORING_KEY, OPERATOR_KEYS: OPERATOR_KEY });
    await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
  });
  afterAll(async () => { await w.dispose(); await idp.close(); });

  it("scores with a valid RS256 or ES256 token, fetching the JWKS once for many requests", async () => {
    for (const kid of ["rsa-1", "ec-1", "rsa-1", "ec-1"]) {
      const res = await predict(bearer(await token(idp.claims(`user-${kid}`), kid)));
      expect(res.status, await res.clone().text()).toBe(200);
    }
    expect(idp.hits).toBe(1);
  });

  it("refetches the JWKS for a new kid (key rotation), at most once a minute for unknown kids", async () => {
    await idp.addKey("rsa-2", "RS256");
    const before = idp.hits;
    expect((await predict(bearer(await token(idp.claims("rotated"), "rsa-2")))).status).toBe(200);
    expect(idp.hits).toBe(before + 1);
    for (let i = 0; i < 3; i++) {
      const res = await predict(bearer(await token(idp.claims("u"), "rsa-1", { kid: `made-up-${i}` })));
      expect(((await res.json()) as ErrorBody).error.code).toBe("token_unknown_key");
    }
    expect(idp.hits).toBe(before + 1);
  });

  it("accepts a token that expired within the clock skew, and refuses each bad token with 401 and its own code", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await predict(bearer(await token(idp.claims("u", { exp: now - 10 }))))).status).toBe(200);
    const cases: [string, Promise<string> | string, string][] = [
      ["expired", token(idp.claims("u", { exp: now - 3600 })), "token_expired"],
      ["not yet valid", token(idp.claims("u", { nbf: now + 3600 })), "token_not_yet_valid"],
      ["wrong audience", token(idp.claims("u", { aud: "another-api" })), "token_wrong_audience"],
      ["wrong issuer", token(idp.claims("u", { iss: "https://evil.example/" })), "token_wrong_issuer"],
      ["unknown kid", token(idp.claims("u"), "rsa-1", { kid: "no-such-key" }), "token_unknown_key"],
      ["alg none", idp.unsigned(idp.claims("u")), "token_algorithm_not_allowed"],
      ["HS256 signed with the public key", idp.signHs256WithPublicKey(idp.claims("u")), "token_algorithm_not_allowed"],
      ["an RS256 key used for ES256", token(idp.claims("u"), "rsa-1", { alg: "ES256" }), "token_algorithm_not_allowed"],
      ["no exp", token({ ...idp.claims("u"), exp: undefined }), "token_invalid"],
      ["tampered signature", token(idp.claims("u")).then((t) => `${t.slice(0, -6)}${t.slice(-6) === "AAAAAA" ? "BBBBBB" : "AAAAAA"}`), "token_invalid_signature"],
      ["tampered payload", token(idp.claims("u")).then((t) => { const [h, , s] = t.split("."); return `${h}.${Buffer.from(JSON.stringify(idp.claims("admin"))).toString("base64url")}.${s}`; }), "token_invalid_signature"],
    ];
    for (const [name, t, code] of cases) {
      const res = await predict(bearer(await t));
      const body = (await res.json()) as ErrorBody;
      expect([name, res.status, body.error.code]).toEqual([name, 401, code]);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });

  it("gives JWT callers the scoring scope, and the operator scope only from the configured claim", async () => {
    const user = await token(idp.claims("app-user"));
    const op = await token(idp.claims("ops", { scope: "openid edgescore:operator" }));
    const card = await w.fetch("/models/credit-risk", { headers: bearer(user) });
    expect(card.status).toBe(403);
    expect(((await card.json()) as ErrorBody).error.code).toBe("insufficient_scope");
    expect((await w.fetch("/models/credit-risk", { headers: bearer(op) })).status).toBe(200);
    expect((await w.fetch("/openapi.json", { headers: bearer(user) })).status).toBe(200);
  });

  it("keeps API keys for server-to-server calls, each with its scope", async () => {
    expect((await predict(bearer(SCORING_KEY))).status).toBe(200);
    expect((await w.fetch("/models/credit-risk", { headers: bearer(SCORING_KEY) })).status).toBe(403);
    expect((await w.fetch("/models/credit-risk", { headers: bearer(OPERATOR_KEY) })).status).toBe(200);
    expect((await predict(bearer(OPERATOR_KEY))).status).toBe(403);
    const wrong = await predict(bearer("scoring-key-00000000"));
    expect([wrong.status, ((await wrong.json()) as ErrorBody).error.code]).toEqual([401, "unauthorized"]);
    const none = await predict({});
    expect([none.status, ((await none.json()) as ErrorBody).error.code]).toEqual([401, "unauthorized"]);
  });

  it("shows anyone only {ok} at /healthz, and operators the details", async () => {
    const pub = await w.fetch("/healthz");
    expect(pub.status).toBe(200);
    expect(await pub.json()).toEqual({ ok: true });
    const scoring = await w.fetch("/healthz", { headers: bearer(SCORING_KEY) });
    expect(await scoring.json()).toEqual({ ok: true });
    const op = (await (await w.fetch("/healthz", { headers: bearer(OPERATOR_KEY) })).json()) as { ok: boolean; tensors: number; models: Record<string, unknown>; auth: { mode: string; problems: string[] } };
    expect(op.ok).toBe(true);
    expect(op.models["credit-risk"]).toBeDefined();
    expect(op.auth).toEqual({ mode: "keys+jwt", problems: [] });
    expect((await w.fetch("/healthz", { headers: bearer("not-a-valid-key-at-all") })).status).toBe(401);
  });

  it("never logs a token, a key or a subject", () => {
    const logs = w.logs.join("\n");
    expect(tokens.length).toBeGreaterThan(10);
    for (const t of tokens) for (const part of t.split(".").filter((p) => p.length > 8)) expect(logs).not.toContain(part);
    expect(logs).not.toContain(SCORING_KEY);
    expect(logs).not.toContain(OPERATOR_KEY);
    expect(logs).not.toContain("app-user");
    // What is logged instead: the failure code and a pseudonymous caller id.
    expect(logs).toContain('"auth":"token_expired"');
    expect(logs).toMatch(/"caller":"sub-[0-9a-f]{12}"/);
    expect(logs).toMatch(/"caller":"key-[0-9a-f]{12}"/);
  });
});

describe("failing closed", () => {
  it("answers 503 auth_not_configured for incomplete JWT settings, with the reason for operators only", async () => {
    const w = await startWorker({ AUTH_MODE: "jwt", JWT_JWKS_URL: "http://idp.example.test/jwks.json", JWT_AUDIENCE: "x" });
    try {
      const res = await w.post("/predict", { instances: [applicant] }, bearer("a.b.c"));
      const body = (await res.json()) as ErrorBody;
      expect([res.status, body.error.code]).toEqual([503, "auth_not_configured"]);
      expect(JSON.stringify(body)).not.toMatch(/JWT_|wrangler|secret/);
      const health = await w.fetch("/healthz");
      expect([health.status, await health.json()]).toEqual([503, { ok: false, reasons: ["auth_not_configured"] }]);
      const logs = w.logs.join("\n");
      expect(logs).toContain("JWT_ISSUER is not set");
      expect(logs).toContain("JWT_JWKS_URL must be https://");
    } finally {
      await w.dispose();
    }
  });

  it("refuses API_KEYS with a short key or one with whitespace (503), and says why in the operator's /healthz", async () => {
    for (const keys of ["ab", `${SCORING_KEY},short`, "has a space in it 0123456789"]) {
      const w = await startWorker({ AUTH_MODE: "keys", API_KEYS: keys, OPERATOR_KEYS: OPERATOR_KEY });
      try {
        const first = keys.split(",")[0]!;
        const res = await w.post("/predict", { instances: [applicant] }, bearer(SCORING_KEY));
        const body = (await res.json()) as ErrorBody;
        expect([keys, res.status, body.error.code]).toEqual([keys, 503, "auth_not_configured"]);
        expect(body.error.hint).toBeUndefined();
        const health = (await (await w.fetch("/healthz", { headers: bearer(OPERATOR_KEY) })).json()) as { ok: boolean; auth: { problems: string[] } };
        expect(health.ok).toBe(false);
        expect(health.auth.problems.join(" ")).toMatch(/API_KEYS entry \d of \d (is \d+ characters; keys must be at least 16|contains whitespace)/);
        if (first.length >= 8) expect(JSON.stringify(health)).not.toContain(first);
      } finally {
        await w.dispose();
      }
    }
  });

  it("answers 503 auth_unavailable with Retry-After when the JWKS cannot be fetched", async () => {
    const idp = new TestIdp();
    await idp.addKey("rsa-1", "RS256");
    await idp.start();
    const w = await startWorker({ ...idp.bindings(), JWT_JWKS_URL: idp.url.replace(/:\d+\//, ":1/") });
    try {
      const res = await w.post("/predict", { instances: [applicant] }, bearer(await idp.sign(idp.claims("u"))));
      expect([res.status, ((await res.json()) as ErrorBody).error.code]).toEqual([503, "auth_unavailable"]);
      expect(res.headers.get("retry-after")).toBe("5");
    } finally {
      await w.dispose();
      await idp.close();
    }
  });
});

describe("rate limits (Workers Rate Limiting binding)", () => {
  it("answers 429 with Retry-After in the error shape per caller, then serves again after that wait", async () => {
    const w = await startWorker({ API_KEYS: `${SCORING_KEY},${SCORING_KEY}-2`, AUTH_MODE: "keys", RATE_LIMIT_PERIOD_SECONDS: "10" }, { rateLimit: { limit: 3, period: 10 } });
    try {
      await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
      // Start right after a window boundary so the burst below falls in one window.
      await new Promise((r) => setTimeout(r, 10_050 - (Date.now() % 10_000)));
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await w.post("/predict", { instances: [applicant] }, bearer(SCORING_KEY));
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const body = (await limited!.json()) as ErrorBody;
      expect(body.error.code).toBe("rate_limited");
      const retryAfter = Number(limited!.headers.get("retry-after"));
      expect(retryAfter).toBe(10);
      // Another caller has its own budget.
      expect((await w.post("/predict", { instances: [applicant] }, bearer(`${SCORING_KEY}-2`))).status).toBe(200);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      expect((await w.post("/predict", { instances: [applicant] }, bearer(SCORING_KEY))).status).toBe(200);
    } finally {
      await w.dispose();
    }
  }, 40_000);

  it("is off without the binding, and off with RATE_LIMIT=off (npm run dev)", async () => {
    const w = await startWorker({ RATE_LIMIT: "off" }, { rateLimit: { limit: 1, period: 60 } });
    try {
      for (let i = 0; i < 4; i++) expect((await w.fetch("/healthz")).status).toBe(200);
    } finally {
      await w.dispose();
    }
  });
});
