/**
 * The narrative part of a model card (`train --card card.json`): what the
 * model is for, where it must not be used, who owns it and who approved it.
 * Numbers come from training; these words come from people, so they are read
 * from a file, checked strictly (a misspelt key is refused, not dropped) and
 * kept in the card (`card.narrative`) and at the top of the report.
 */
import { readFileSync } from "node:fs";
import { type } from "arktype";

const text = type("string > 0");
const date = type(/^\d{4}-\d{2}-\d{2}$/).describe("a date as YYYY-MM-DD");

export const narrativeType = type({
  "+": "reject",
  intendedUse: text,
  "outOfScope?": text.array(),
  limitations: text.array().atLeastLength(1),
  owner: { "+": "reject", name: text, "contact?": text, "team?": text },
  approval: {
    "+": "reject",
    status: "'draft' | 'pending' | 'approved' | 'rejected'",
    "by?": text,
    "date?": date,
    "notes?": text,
  },
});

export type CardNarrative = typeof narrativeType.infer;

/** A --card file that cannot be used; the CLI answers it as a usage error (exit 2). */
export class CardFileError extends Error {}

export const CARD_EXAMPLE = `{"intendedUse": "...", "limitations": ["..."], "owner": {"name": "..."}, "approval": {"status": "approved", "by": "...", "date": "2026-12-01"}}`;

export function parseNarrative(json: string, source: string): CardNarrative {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new CardFileError(`--card ${source}: not JSON (${(e as Error).message}); expected e.g. ${CARD_EXAMPLE}`);
  }
  const out = narrativeType(raw);
  if (out instanceof type.errors) throw new CardFileError(`--card ${source}: ${out.summary.replaceAll(" must be removed", " is not a key of a card file (misspelt?)").replaceAll("\n", "; ")}; expected e.g. ${CARD_EXAMPLE}`);
  return out;
}

export function readNarrative(path: string): CardNarrative {
  let json: string;
  try {
    json = readFileSync(path, "utf8");
  } catch (e) {
    throw new CardFileError(`--card ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseNarrative(json, path);
}
