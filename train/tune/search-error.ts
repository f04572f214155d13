/** A search that cannot run or choose: the message says why and what to change (exit 1). */
export class SearchError extends Error {}
