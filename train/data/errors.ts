/** The errors a training job's data preparation throws; the CLIs map them to exit codes (train/cli/codes.ts). */

/** A failure of the job (the data, the store): exit 1. */
export class JobError extends Error {}

/** A job error only the flags can fix (one that does not fit the target the data turned out to have, a malformed flag value seen with the data): exit 2, as a usage error. */
export class FlagConflictError extends JobError {}
