/**
 * A column name inside advice (`leave it out with --ignore <name>`) as a shell
 * reads it back: as it is when plain, else in single quotes, so a suggested
 * command can be pasted as printed (`--ignore 'Applicant ID'`).
 */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_.,:=/+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
