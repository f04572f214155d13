/**
 * Where scored rows go: a CSV written with csv-stringify to a local file
 * (under a temporary name, renamed into place when the run succeeds, so a
 * failed run never leaves a half-written file where the result belongs) or
 * to an S3/R2 object (a multipart upload that completes only when the run
 * does, aborted otherwise). Writes wait for the destination to drain, so a
 * slow disk or network holds the reader back instead of filling memory.
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a
 * formula, and ids, echoed rows and column names come from whoever wrote the
 * input: every text cell, header included, gets a leading `'` then
 * (csv-stringify's `escape_formulas`, OWASP's advice). Numbers the project
 * computes are written as numbers and left alone, negative ones too.
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { once } from "node:events";
import { PassThrough, type Writable } from "node:stream";
import { Upload } from "@aws-sdk/lib-storage";
import { stringify } from "csv-stringify/sync";
import { createS3Client, describeS3Error, parseS3Url, type S3Target } from "../store/storage.ts";

export type Cell = string | number | null;

/** Rows as CSV text, formula-like text cells neutralised (above). The one place CSV is written. */
export function csvText(rows: Cell[][]): string {
  return stringify(rows, { escape_formulas: true });
}

export interface CsvSink {
  /** Where the file goes, for messages. */
  readonly label: string;
  /** Appends rows; resolves once the destination can take more. */
  write(rows: Cell[][]): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
  /** Completes the file (rename, or upload completion). */
  finish(): Promise<void>;
  /** Drops what was written: nothing appears at the destination. */
  abort(): Promise<void>;
}

/**
 * A sink over a writable stream: the header at once, then rows as CSV text,
 * waiting for "drain" when the stream's buffer is full. `end` completes the
 * destination, `drop` discards it; `failed()` reports an error the
 * destination raised meanwhile.
 */
function streamSink(label: string, stream: Writable, header: string[], o: { end(): Promise<void>; drop(): Promise<void>; failed(): Error | undefined }): CsvSink {
  const head = csvText([header]);
  stream.write(head);
  let bytes = Buffer.byteLength(head);
  return {
    label,
    get bytes() { return bytes; },
    async write(rows) {
      const failure = o.failed();
      if (failure) throw failure;
      const text = csvText(rows);
      bytes += Buffer.byteLength(text);
      if (!stream.write(text)) await once(stream, "drain");
    },
    finish: () => o.end(),
    abort: () => o.drop(),
  };
}

function localSink(path: string, header: string[]): CsvSink {
  const partial = `${path}.partial-${process.pid}`;
  const stream = createWriteStream(partial);
  let failure: Error | undefined;
  stream.on("error", (e) => { failure = new Error(`cannot write ${path}: ${e.message}`); });
  return streamSink(path, stream, header, {
    failed: () => failure,
    async end() {
      stream.end();
      await once(stream, "finish");
      if (failure) throw failure;
      renameSync(partial, path);
    },
    async drop() {
      // The file is opened asynchronously: remove it once the stream has closed, or an open still in flight
      // would create it again after the removal.
      if (!stream.closed) {
        const closed = new Promise<void>((done) => stream.once("close", () => done()));
        stream.destroy();
        await closed;
      }
      rmSync(partial, { force: true });
    },
  });
}

function s3Sink(url: string, target: S3Target, header: string[]): CsvSink {
  const { bucket, key } = parseS3Url(url)!;
  const client = createS3Client({ ...target, bucket });
  const body = new PassThrough();
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body, ContentType: "text/csv" } });
  const done = upload.done();
  let failure: Error | undefined;
  // A failed upload stops reading the body: destroying it ends a wait for "drain" with the error instead of forever.
  done.catch((e: unknown) => { failure = new Error(describeS3Error(e, `writing ${url}`)); body.destroy(failure); });
  return streamSink(url, body, header, {
    failed: () => failure,
    async end() {
      body.end();
      try {
        await done;
      } catch (e) {
        throw new Error(describeS3Error(e, `writing ${url}`));
      } finally {
        client.destroy();
      }
    },
    async drop() {
      await upload.abort().catch(() => {});
      body.destroy();
      client.destroy();
    },
  });
}

/** A CSV destination for a path or an `s3://bucket/key` URL (with `target`'s endpoint and credentials), its header written. */
export function openSink(path: string, target: S3Target | undefined, header: string[]): CsvSink {
  if (!parseS3Url(path)) return localSink(path, header);
  if (!target) throw new Error(`${path}: writing to S3 needs S3_ENDPOINT or R2_ACCOUNT_ID, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  return s3Sink(path, target, header);
}
