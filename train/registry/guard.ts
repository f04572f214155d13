/** The signature guard with its I/O: compares a candidate with the version the pointer serves. */
import type { Manifest } from "../../shared/artifact.ts";
import { readManifest, type Location } from "../store/versions.ts";
import { RegistryError } from "./errors.ts";
import type { PointerState } from "./history.ts";
import { signatureChanges, signatureRefusal, type GuardedCommand } from "./signature.ts";

export interface GuardOptions {
  allow: boolean;
  command: GuardedCommand;
  log: (line: string) => void;
}

/**
 * Refuses (`signature_changed`) a candidate whose signature breaks the serving
 * version's, unless allowed; returns the accepted changes for the record. A
 * serving version that cannot be read is no reason to block its replacement:
 * that is said, and the move goes on.
 */
export async function checkSignature(l: Location, state: PointerState, candidate: Manifest, o: GuardOptions): Promise<{ signatureChange?: string[] }> {
  const p = state.pointer;
  if (!p || p.version === candidate.version) return {};
  let serving: Manifest;
  try {
    serving = await readManifest(l, p.version, p.manifestSha256);
  } catch (e) {
    o.log(`warning: cannot compare feature signatures with the serving version ${p.version}: ${(e as Error).message}`);
    return {};
  }
  const changes = signatureChanges(serving.spec, candidate.spec, { serving: serving.task, candidate: candidate.task });
  if (!changes.length) return {};
  if (!o.allow) throw new RegistryError(signatureRefusal({ name: l.name, serving: p.version, candidate: candidate.version, changes, command: o.command }), "signature_changed");
  o.log(`warning: feature signature of "${l.name}" changes (allowed by --allow-signature-change):\n${changes.map((c) => `  - ${c}`).join("\n")}`);
  return { signatureChange: changes };
}
