/**
 * Segments (`train --segments Home,Age:bands=30,50`): columns, features or
 * not, whose groups the report measures the model on. Written and grouped
 * exactly like --protected columns (train/data/protected.ts), but unlike them
 * a segment may also be a feature: it is only read, never taken out.
 */
import type { DataProfile } from "./profile.ts";
import { parseProtected, ProtectedError, resolveProtected, type ProtectedAttribute, type ProtectedRequest } from "./protected.ts";

/** A --segments value the flags or the data cannot accept; a usage error (exit 2). */
export class SegmentsError extends Error {}

const reword = (e: unknown): unknown => (e instanceof ProtectedError ? new SegmentsError(e.message.replaceAll("--protected", "--segments")) : e);

export function parseSegments(text: string): ProtectedRequest[] {
  try {
    return parseProtected(text);
  } catch (e) {
    throw reword(e);
  }
}

export function resolveSegments(requests: ProtectedRequest[], profile: DataProfile, target: string): ProtectedAttribute[] {
  try {
    return resolveProtected(requests, profile, target);
  } catch (e) {
    throw reword(e);
  }
}
