/**
 * Column names that look like a characteristic fair-lending law protects
 * (US ECOA / Regulation B and the like). A model that uses such a column can
 * hand it to an applicant as a reason for an adverse action, so `train` warns
 * unless the column is analysed with `--protected` or left out with `--ignore`.
 * Names are matched on their word parts, not substrings: `Age` and `DOB` match,
 * `Page` and `Mileage` do not.
 */
import { shellWord } from "./shell-word.ts";

/** Each protected basis and the word parts that suggest it (lower case). Shown in the README. */
export const SENSITIVE_WORDS: Readonly<Record<string, readonly string[]>> = {
  "sex or gender": ["sex", "gender", "female", "male", "woman", "women", "man", "men", "pregnant", "pregnancy"],
  "race or ethnicity": ["race", "racial", "ethnic", "ethnicity"],
  religion: ["religion", "religious", "creed", "faith"],
  "national origin": ["nationality", "citizenship", "citizen", "immigrant", "immigration", "foreign"],
  "marital status": ["marital", "married", "marriage", "single", "divorced", "widow", "widowed", "spouse"],
  age: ["age", "birth", "birthdate", "birthday", "dob", "born"],
  disability: ["disability", "disabled", "handicap"],
};

/**
 * `Personal.Female.NotSingle` → personal, female, not, single; `maritalStatus`
 * → marital, status; `DOBYear` → dob, year; `age2` → age, 2.
 */
export function wordParts(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([A-Za-z])(\d)|(\d)([A-Za-z])/g, (_, a, b, c, d) => (a ? `${a} ${b}` : `${c} ${d}`))
    .split(/[^A-Za-z\d]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** The protected bases a column name suggests, in the order of {@link SENSITIVE_WORDS}; empty when none. */
export function sensitiveBases(name: string): string[] {
  const parts = new Set(wordParts(name));
  return Object.entries(SENSITIVE_WORDS).filter(([, words]) => words.some((w) => parts.has(w))).map(([basis]) => basis);
}

/** The warning for a feature column whose name looks sensitive, naming both ways out (a number is measured in bands). */
export function sensitiveWarning(column: string, bases: string[], numeric: boolean): string {
  return `column "${column}" looks like a protected characteristic (${bases.join(", ")}) and is used as a feature, so it can be given to an applicant as a reason; ` +
    `measure the model by it without using it with --protected ${shellWord(column)}${numeric ? ":bands=<edges, e.g. 25,40,60>" : ""}, or leave it out with --ignore ${shellWord(column)}`;
}
