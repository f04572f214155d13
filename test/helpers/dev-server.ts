/**
 * The Worker as `npm run dev` serves it: wrangler dev (unstable_dev), with
 * wrangler's local proxy in front of workerd, as a user trial runs it.
 * Miniflare alone (helpers/worker.ts) answers a request whose body the
 * Worker left unread at once; behind wrangler's proxy the answer waits for
 * the whole body (test/security.test.ts 5g, 5h).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev } from "wrangler";

export interface DevServer {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** Starts edge/index.ts with wrangler.toml and `vars` over it; no env files, state in a temporary directory. */
export async function startDevServer(vars: Record<string, string>): Promise<DevServer> {
  const state = mkdtempSync(join(tmpdir(), "edgescore-dev-"));
  const w = await unstable_dev("edge/index.ts", {
    config: "wrangler.toml", envFiles: [], ip: "127.0.0.1", port: 0, persistTo: state, vars, logLevel: "none",
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false },
  });
  return {
    url: `http://127.0.0.1:${w.port}`,
    stop: async () => { await w.stop(); rmSync(state, { recursive: true, force: true }); },
  };
}
