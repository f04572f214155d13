/**
 * The consumer's side of a message: NDJSON text in — chunks (chunk.ts), or
 * records one per line as edges before chunks sent them — checked records
 * out, and the gzip NDJSON object written to R2.
 */
import { DECISION_FORMAT } from "../../shared/decisions/record.ts";
import { MODEL_NAME_PATTERN } from "../../shared/artifact.ts";
import { recordsOfChunk } from "./chunk.ts";

/** A record line the consumer accepts, with what it is filed under. */
export interface RecordLine {
  line: string;
  model: string;
  /** The record's time, ISO 8601 UTC: its day and hour name the object. */
  time: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function checked(r: unknown, line: string): RecordLine | undefined {
  const o = r as { format?: unknown; id?: unknown; model?: unknown; time?: unknown };
  if (typeof r !== "object" || r === null || o.format !== DECISION_FORMAT || typeof o.id !== "string" || o.id === ""
    || typeof o.model !== "string" || !MODEL_NAME_PATTERN.test(o.model) || typeof o.time !== "string" || !ISO_UTC.test(o.time)) return undefined;
  return { line, model: o.model, time: o.time };
}

/**
 * The record lines of one message body, each parsed and checked (a line that
 * merely looks like a record, e.g. one cut short, must not reach R2), and how
 * many lines were refused (not a chunk or record this edge writes).
 */
export function readMessage(body: unknown): { lines: RecordLine[]; refused: number } {
  if (typeof body !== "string") return { lines: [], refused: 1 };
  const lines: RecordLine[] = [];
  let refused = 0;
  for (const line of body.split("\n")) {
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      refused++;
      continue;
    }
    const records = recordsOfChunk(parsed);
    if (records) {
      for (const record of records) {
        const r = checked(record, JSON.stringify(record));
        if (r) lines.push(r);
        else refused++;
      }
      continue;
    }
    const r = checked(parsed, line);
    if (r) lines.push(r);
    else refused++;
  }
  return { lines, refused };
}

/** Gzip of the lines joined as NDJSON (a trailing newline, so objects concatenate cleanly). */
export async function gzipNdjson(lines: readonly string[]): Promise<Uint8Array> {
  const text = `${lines.join("\n")}\n`;
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
