/**
 * Streaming CSV input from a local file or an S3/R2 object. Sources can be
 * opened again, because training makes several passes (profile, fit, encode)
 * instead of holding raw rows in memory.
 */
import { createReadStream, fstatSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { parse, CsvError } from "csv-parse";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client, describeS3Error, parseS3Url, type S3Target } from "../store/storage.ts";

export interface CsvSource {
  /** What to call the source in messages: a path or an s3:// URL. */
  label: string;
  open(): Promise<Readable>;
  /** Its size in bytes, once opened (when the storage says; for progress bars). */
  length?: number;
}

export function localSource(path: string): CsvSource {
  const source: CsvSource = {
    label: path,
    open: () =>
      new Promise((resolve, reject) => {
        // A directory opens fine and fails only at the first read, with a bare EISDIR: say it up front.
        if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
          reject(new Error(`cannot read ${path}: it is a directory; give the path of a CSV file`));
          return;
        }
        const s = createReadStream(path);
        s.once("open", (fd) => {
          try { source.length = fstatSync(fd).size; } catch { /* size is only for progress */ }
          resolve(s);
        });
        s.once("error", (e: NodeJS.ErrnoException) =>
          reject(new Error(`cannot read ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`)),
        );
      }),
  };
  return source;
}

export function s3Source(client: S3Client, bucket: string, key: string): CsvSource {
  const label = `s3://${bucket}/${key}`;
  const source: CsvSource = {
    label,
    async open() {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!out.Body) throw new Error("empty response body");
        if (out.ContentLength !== undefined) source.length = out.ContentLength;
        return out.Body as Readable;
      } catch (e) {
        throw new Error(describeS3Error(e, `reading ${label}`));
      }
    },
  };
  return source;
}

/**
 * A path or an `s3://bucket/key` URL as a source; `s3://` needs a target from
 * the environment (endpoint and credentials; the bucket comes from the URL).
 */
export function openCsvSource(path: string, target: S3Target | undefined): CsvSource {
  const s3 = parseS3Url(path);
  if (!s3) return localSource(path);
  if (!target) throw new Error(`${path}: reading from S3 needs S3_ENDPOINT or R2_ACCOUNT_ID, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  return s3Source(createS3Client({ ...target, bucket: s3.bucket }), s3.bucket, s3.key);
}

/**
 * When a header came out as one column holding `;`, tab or `|`, the file is
 * very likely separated by that character: a sentence saying so, else "".
 */
export function delimiterHint(header: string[]): string {
  if (header.length !== 1) return "";
  const found = [";", "\t", "|"].find((d) => (header[0] ?? "").includes(d));
  if (!found) return "";
  const name = found === "\t" ? "tab" : `"${found}"`;
  return ` (the header is one column containing ${name}: the file looks ${name}-separated; edgescore reads comma-separated CSV)`;
}

/** Bytes one record may hold unless EDGESCORE_MAX_RECORD_BYTES says otherwise: far above any applicant row. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/**
 * The record limit in force. Without one, a single enormous line (or a quote
 * never closed, which makes the rest of the file one cell) is buffered whole
 * and exhausts the heap; with it the parser stops at the limit.
 */
export function maxRecordBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.EDGESCORE_MAX_RECORD_BYTES;
  if (v === undefined || v === "") return DEFAULT_MAX_RECORD_BYTES;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`EDGESCORE_MAX_RECORD_BYTES: expected a whole number of bytes >= 1, found "${v}"`);
  return n;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line number in the file, for messages. */
  line: number;
}

export interface ReadResult {
  header: string[];
  /** sha256 of the raw bytes, when asked for. */
  sha256?: string;
  bytes: number;
}

/**
 * Streams every data record (header excluded) to `onRecord`. Rows with the
 * wrong number of fields are passed through so the caller can count and report
 * them; a structurally broken file (e.g. an unclosed quote) throws with its line.
 * When `onRecord` returns a promise, reading waits for it (a writer's
 * backpressure reaches the file this way, so memory stays flat).
 */
export async function readCsv(
  source: CsvSource,
  onRecord: (r: CsvRecord, header: string[]) => void | Promise<void>,
  options: { hash?: boolean; onBytes?: (bytesSoFar: number) => void } = {},
): Promise<ReadResult> {
  const input = await source.open();
  const hash = options.hash ? createHash("sha256") : undefined;
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      options.onBytes?.(bytes);
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  const limit = maxRecordBytes();
  // Every line ending, not the first one seen: csv-parse otherwise takes the first line's ending for the whole file,
  // and in a file pasted together from Windows and Unix parts the rest run into one record (rows lost as one bad row).
  const parser = parse({
    bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, max_record_size: limit, record_delimiter: ["\r\n", "\n", "\r"],
  });
  input.on("error", (e) => parser.destroy(e));
  input.pipe(tap).pipe(parser);
  let header: string[] | undefined;
  /** The line the last record ended on: a record that never ends starts after it. */
  let lastLine = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      lastLine = item.info.lines;
      if (!header) {
        header = item.record;
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup !== undefined) throw new Error(`${source.label}: column "${dup}" appears twice in the header`);
        continue;
      }
      const pending = onRecord({ fields: item.record, line: item.info.lines }, header);
      if (pending) await pending;
    }
  } catch (e) {
    if (e instanceof CsvError && e.code === "CSV_MAX_RECORD_SIZE") {
      const line = (e as CsvError & { lines?: number }).lines ?? "?";
      throw new Error(`${source.label}: the record at line ${line} is larger than ${limit} bytes (the limit for one row): a row that long is not an applicant's, `
        + "or a quote opened on an earlier line is never closed and the rest of the file reads as one cell. "
        + "Fix or remove that row, or raise the limit with EDGESCORE_MAX_RECORD_BYTES=<bytes>");
    }
    if (e instanceof CsvError && e.code === "CSV_QUOTE_NOT_CLOSED") {
      const end = (e as CsvError & { lines?: number }).lines;
      throw new Error(`${source.label}: a quote opened in the record after line ${lastLine} is never closed, so everything from there${end ? ` to line ${end}` : ""} reads as one cell. `
        + `Close it, or write a quote inside a cell as two ("")`);
    }
    if (e instanceof CsvError) throw new Error(`${source.label}: ${e.message}`);
    throw e;
  }
  if (!header || header.every((h) => h === "")) throw new Error(`${source.label} is empty: expected a header row and data rows`);
  return { header, bytes, ...(hash ? { sha256: hash.digest("hex") } : {}) };
}

/** A source for bytes already in memory (tests, and S3 objects fetched once). */
export function memorySource(label: string, text: string): CsvSource {
  return { label, open: async () => Readable.from([Buffer.from(text)]) };
}
