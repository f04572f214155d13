/**
 * `--protected` on the command line: parsed, and refused (exit 2) where another
 * flag would make the same column a feature or drop it, with the way out.
 * What only the data can tell (a numeric column without bands, a column not
 * in the file) is refused once it is read, also as a usage error (codes.ts).
 */
import type { DataOptions } from "../data/prepare.ts";
import { loadOverrides } from "../data/prepare.ts";
import { parseProtected, ProtectedError, type ProtectedRequest } from "../data/protected.ts";
import { UsageError } from "./args.ts";
import { shellWord } from "../data/shell-word.ts";

export const PROTECTED_HELP = `Fair lending
  --protected col[,col]         measure the model by group of these columns on the test split (card and --json
                                "fairness"); they are never features, so never a reason. A text column's values are
                                its groups; a numeric one needs bands: Age:bands=25,40,60 ([min,25) [25,40) [40,60)
                                [60,max]), or col:values for numeric codes; empty cells are the group "(missing)"
`;

/** `specPath`: the --spec file the user gave (the bundled data's own spec only describes columns, so it never conflicts). */
export function protectedOption(text: string | undefined, data: DataOptions, specPath: string | undefined): ProtectedRequest[] {
  if (text === undefined) return [];
  let requests: ProtectedRequest[];
  try {
    requests = parseProtected(text);
  } catch (e) {
    throw e instanceof ProtectedError ? new UsageError(e.message) : e;
  }
  const spec = specPath ? loadOverrides(specPath) : undefined;
  for (const { column: c } of requests) {
    const both = (other: string, fix: string) => new UsageError(`"${c}" is given both as --protected (measured by group, never a feature) and ${other}; ${fix}`);
    if (c === data.target) throw new UsageError(`--protected ${c}: "${c}" is the target; name the columns that describe applicants`);
    if (data.timeColumn === c) throw both("--time-column (the split's clock)", `protect another column, or split by another time column`);
    if (data.categorical.includes(c)) throw both("--categorical (a feature)", `leave it out of --categorical`);
    if (data.ignore.includes(c) || spec?.ignore?.includes(c)) throw both("--ignore (not read at all)", `keep --protected ${shellWord(c)} to measure it, or --ignore ${shellWord(c)} to leave it out entirely`);
    if (spec?.features && Object.hasOwn(spec.features, c)) throw both(`a feature in --spec ${specPath} (features.${c})`, `remove features.${c} from that file, or leave ${c} out of --protected`);
  }
  return requests;
}
