/**
 * What every command (`train`, `models`, ...) shares at its edge: flag parsing
 * with `util.parseArgs` and messages a person can act on, typed flag values
 * that say which range is allowed, and one mapping from errors to exit codes
 * and, with `--json`, to a JSON failure object on stdout.
 *
 * Exit codes: 0 done · 1 failed (nothing changed; the message says why) · 2 usage error.
 * Commands may document more (the monitor's alert).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { jsonText, printable } from "./output.ts";

export class UsageError extends Error {
  readonly code = "usage";
}

/** An error with a stable machine-readable code for `--json` consumers. */
export class CommandError extends Error {
  constructor(message: string, readonly code = "failed") {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Edit distance, for "did you mean --epochs?". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known flag closest to `flag`, when it is close enough to be a typo. */
export function suggestFlag(flag: string, options: Options): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of Object.keys(options)) {
    // One name is the other plus a word (`--model` for `--model-name`, or the reverse): as near as a typo.
    const d = flag && (name.startsWith(`${flag}-`) || flag.startsWith(`${name}-`)) ? 1 : distance(flag, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(flag.length / 3)) ? best.name : undefined;
}

/** parseArgs's words for a flag without its value, or a switch given one, as what to type instead. */
function valueProblem(message: string, args: string[]): string {
  const flag = /'(--?[^' <]+)/.exec(message)?.[1] ?? "";
  if (/does not take an argument/.test(message)) return `${flag} is a switch and takes no value: write ${flag} alone`;
  if (/argument is ambiguous/.test(message)) {
    const next = args[args.indexOf(flag) + 1] ?? "";
    return `${flag} needs a value, but "${next}" follows it: write ${flag} <value> (a value that starts with "-" as ${flag}=-…)`;
  }
  if (/argument missing/.test(message)) return `${flag} needs a value: ${flag} <value>`;
  return message;
}

/**
 * `parseArgs`, strict, plus three things it gets wrong for people: a negative
 * number after a string flag (`--epochs -5`) is that flag's value, not an
 * "ambiguous argument"; an unknown flag names the nearest known one; a
 * flag without its value says so in the flag's own words.
 */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith("--") ? a.slice(2) : undefined;
    if (name && !name.includes("=") && options[name]?.type === "string" && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'(-{1,2}[^']+)'/.exec(err.message)?.[1] ?? "";
      const near = suggestFlag(flag.replace(/^-+/, "").split("=")[0] as string, options);
      throw new UsageError(`unknown option ${flag}${near ? `; did you mean --${near}?` : ""}`);
    }
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const arg = /'([^']+)'/.exec(err.message)?.[1] ?? "";
      throw new UsageError(`unexpected argument "${arg}": options start with --`);
    }
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(valueProblem(err.message, args));
    if (err.code?.startsWith("ERR_PARSE_ARGS")) throw new UsageError(err.message);
    throw e;
  }
}

/** `a,b , c` → ["a", "b", "c"]. */
export function list(v: string | undefined): string[] {
  return v ? v.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

/** A numeric flag's allowed values, with the words the error message uses. */
export interface Rule { ok: (x: number) => boolean; text: string }

export const rules = {
  finite: { ok: Number.isFinite, text: "a number" },
  integer: { ok: Number.isInteger, text: "a whole number" },
  positiveInt: { ok: (x: number) => Number.isInteger(x) && x >= 1, text: "a whole number >= 1" },
  nonNegativeInt: { ok: (x: number) => Number.isInteger(x) && x >= 0, text: "a whole number >= 0" },
  probability: { ok: (x: number) => x >= 0 && x <= 1, text: "a number from 0 to 1" },
  share: { ok: (x: number) => x >= 0 && x < 1, text: "a number from 0 up to (not including) 1" },
  positive: { ok: (x: number) => x > 0 && Number.isFinite(x), text: "a number > 0" },
} satisfies Record<string, Rule>;

/** Rule for a number in the open interval (lo, hi). */
export function between(lo: number, hi: number): Rule {
  return { ok: (x) => x > lo && x < hi, text: `a number above ${lo} and below ${hi}` };
}

export function num(name: string, v: string | undefined, fallback: number, rule: Rule = rules.finite): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || !rule.ok(x)) throw new UsageError(`--${name}: expected ${rule.text}, found "${v}"`);
  return x;
}

export function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name}: expected one of ${allowed.join(", ")}, found "${v}"`);
  return v as T;
}

export interface RunOptions {
  /** Printed after a failure (not a usage error), e.g. "nothing was published; the current model is unchanged". */
  afterFailure?: string;
}

/**
 * Runs a command's `main` and maps what it throws to an exit code: 2 for usage
 * errors, 1 for anything else. The message goes to stderr; with `--json` in
 * argv, stdout also gets `{"ok": false, "error": {"code", "message"}}`, so a
 * scheduler parsing stdout never sees an empty string.
 */
export async function runCommand(argv: string[], main: (argv: string[]) => Promise<number>, o: RunOptions = {}): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    const err = e as Error & { code?: unknown };
    const usage = e instanceof UsageError;
    const message = err?.message ?? String(e);
    process.stderr.write(`error: ${printable(message)}\n${usage ? "run with --help for usage\n" : o.afterFailure ? `${o.afterFailure}\n` : ""}`);
    if (argv.includes("--json")) {
      const code = usage ? "usage" : typeof err?.code === "string" && e instanceof CommandError ? err.code : "failed";
      process.stdout.write(`${jsonText({ ok: false, error: { code, message } })}\n`);
    }
    return usage ? 2 : 1;
  }
}
