/**
 * Flags as every command reads them (train/cli/args.ts `parseFlags`):
 * `util.parseArgs`, strict, with messages that say what to type.
 */
import { describe, expect, it } from "vitest";
import { parseFlags, UsageError } from "../train/cli/args.ts";

const options = { epochs: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } } as const;
const refused = (argv: string[]) => {
  try {
    parseFlags(argv, options);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
};

describe("command-line flags", () => {
  it("a flag given last without its value says it needs one", () => {
    expect(refused(["--json", "--epochs"])).toBe("--epochs needs a value: --epochs <value>");
  });

  it("a flag followed by another flag names what followed it", () => {
    expect(refused(["--since", "--json"])).toBe('--since needs a value, but "--json" follows it: write --since <value> (a value that starts with "-" as --since=-…)');
  });

  it("a switch given a value says it takes none", () => {
    expect(refused(["--json=yes"])).toBe("--json is a switch and takes no value: write --json alone");
  });

  it("a negative number is the value of the flag before it", () => {
    expect(parseFlags(["--epochs", "-5"], options).values.epochs).toBe("-5");
  });

  it("an unknown flag names the nearest known one", () => {
    expect(refused(["--epoch", "20"])).toBe("unknown option --epoch; did you mean --epochs?");
  });
});
