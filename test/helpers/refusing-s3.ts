/**
 * A loopback proxy in front of an S3 endpoint (Miniflare's R2 API) that
 * answers 403 AccessDenied to the DELETEs `refuse` picks, as an R2 bucket lock
 * refuses to delete an object inside its retention. Miniflare has no bucket
 * locks; everything else goes through to the real endpoint unchanged.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Target } from "../../train/store/storage.ts";

export interface RefusingS3 {
  /** The same bucket and credentials, through the proxy. */
  s3: S3Target;
  /** Keys whose delete was refused, in order. */
  refused: string[];
  close(): Promise<void>;
}

const LOCKED = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>the object is locked by a bucket lock rule (test proxy)</Message></Error>`;

export async function refusingS3(target: S3Target, refuse: (key: string) => boolean): Promise<RefusingS3> {
  const upstream = new URL(target.endpoint);
  const bucketPath = `${upstream.pathname.replace(/\/$/, "")}/${target.bucket}/`;
  const refused: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://proxy").pathname;
    const key = path.startsWith(bucketPath) ? decodeURIComponent(path.slice(bucketPath.length)) : "";
    if (req.method === "DELETE" && key && refuse(key)) {
      refused.push(key);
      req.resume();
      res.writeHead(403, { "Content-Type": "application/xml" }).end(LOCKED);
      return;
    }
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  const endpoint = new URL(upstream.pathname, `http://127.0.0.1:${port}`).toString();
  return {
    s3: { ...target, endpoint },
    refused,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
