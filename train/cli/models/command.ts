/**
 * The shape of one `npm run models` subcommand. The dispatcher
 * (train/cli/models.ts) parses the common flags, opens the store, reads the
 * pointer, warns a read-only command of a history record a crash left missing
 * (only moves and `history --repair` write it), then calls `run`; so a
 * subcommand is one small module and adding one is one entry in the table there.
 */
import type { ParseArgsConfig } from "node:util";
import type { PointerState } from "../../registry/history.ts";
import type { Store } from "../../store/open.ts";
import type { Location } from "../../store/versions.ts";

export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

export interface ModelsContext {
  /** Positional arguments after the subcommand's name. */
  args: string[];
  /** Every flag value, the common ones included. */
  flags: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** The model's name and the store, as S3 sees them. */
  location: Location;
  store: Store;
  /** The pointer as read just before `run`. */
  state: PointerState;
  json: boolean;
  /** Diagnostics and progress: stderr. */
  log: (line: string) => void;
  /** Human output: stdout, suppressed with --json. */
  print: (text: string) => void;
}

export interface CommandOutcome {
  /** 0 unless said (e.g. `history --verify` on a broken chain). */
  exitCode?: number;
  /** Merged into the `--json` object after `ok`, `command` and `model`. */
  json: Record<string, unknown>;
}

export interface ModelsCommand {
  /** One line for the command list. */
  summary: string;
  /** Arguments and own flags, for the usage line: `<version> --reason "..."`. */
  usage: string;
  /** More help lines (flags, behaviour). */
  help?: string;
  options?: FlagOptions;
  args: { min: number; max: number };
  /** false: runs without opening a store (keygen); `location`, `store` and `state` are then placeholders. */
  store?: false;
  /** true: never writes to the store, so a history record a crash left missing is reported (with the way to repair it), not written. */
  readOnly?: true;
  run(ctx: ModelsContext): Promise<CommandOutcome>;
}

export function stringFlag(ctx: ModelsContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(ctx: ModelsContext, name: string): boolean {
  return ctx.flags[name] === true;
}
