/** A registry refusal with a stable code for `--json` consumers; nothing was changed when one is thrown before a swap. */
export type RegistryErrorCode =
  | "pointer_moved"
  | "signature_changed"
  | "history_broken"
  | "no_previous"
  | "version_being_deleted"
  | "pointer_broken"
  | "nothing_current"
  | "signing_key_missing"
  | "signature_invalid"
  | "storage";

export class RegistryError extends Error {
  constructor(message: string, readonly code: RegistryErrorCode) {
    super(message);
  }
}
