/**
 * Each row's group under every protected attribute, collected as the rows
 * stream past (two bytes a row and attribute; the raw cells are never kept),
 * per split in the order of its matrix, so group i lines up with score i:
 * the test split's for the card, training and validation for the tuner's
 * fairness constraint (train/tune/constraint.ts).
 */
import type { DatasetObserver } from "./dataset.ts";
import type { ProtectedAttribute } from "./protected.ts";
import type { ProxyTally } from "./proxy-tally.ts";
import { TEST, TRAIN, VALIDATION } from "./split.ts";

export interface TestGroups {
  attribute: ProtectedAttribute;
  /** Per test row, an index into `attribute.groups`. */
  codes: Uint16Array;
}

/** Per attribute (in the order of `attributes`), the groups of the training and the validation rows. */
export interface SearchGroups {
  attributes: ProtectedAttribute[];
  train: Uint16Array[];
  validation: Uint16Array[];
}

/** A growing Uint16Array per attribute. */
class Codes {
  private codes: Uint16Array[];
  n = 0;
  constructor(attributes: number) { this.codes = Array.from({ length: attributes }, () => new Uint16Array(1024)); }
  add(values: number[]): void {
    if (this.n === (this.codes[0] as Uint16Array).length) this.codes = this.codes.map((c) => { const g = new Uint16Array(c.length * 2); g.set(c); return g; });
    values.forEach((v, k) => { (this.codes[k] as Uint16Array)[this.n] = v; });
    this.n++;
  }
  done(): Uint16Array[] { return this.codes.map((c) => c.slice(0, this.n)); }
}

/**
 * `proxies`, when given, also counts every usable row (all splits: proxies describe the data, not the
 * model) under the first `proxied` attributes (the protected ones; segments may follow them).
 */
export function groupCollector(attributes: ProtectedAttribute[], proxies?: ProxyTally, proxied = attributes.length): { observer: DatasetObserver; done(): TestGroups[]; search(first?: number): SearchGroups } {
  const bySplit = new Map([TRAIN, VALIDATION, TEST].map((s) => [s, new Codes(attributes.length)]));
  return {
    observer: {
      columns: attributes.map((a) => a.column),
      row: (row, _label, split, cells) => {
        const groups = attributes.map((a, k) => a.groupOf(cells[k] as string));
        proxies?.add(row, proxied === groups.length ? groups : groups.slice(0, proxied));
        bySplit.get(split)?.add(groups);
      },
    },
    done: () => (bySplit.get(TEST) as Codes).done().map((codes, k) => ({ attribute: attributes[k] as ProtectedAttribute, codes })),
    // The first `first` attributes (the protected ones) for the tuner's constraint.
    search: (first = attributes.length) => ({
      attributes: attributes.slice(0, first),
      train: (bySplit.get(TRAIN) as Codes).done().slice(0, first),
      validation: (bySplit.get(VALIDATION) as Codes).done().slice(0, first),
    }),
  };
}

/** Both observers see every row; `extra`'s columns are the cells passed on (the other observer asks for none). */
export function alongside(base: DatasetObserver | undefined, extra: DatasetObserver): DatasetObserver {
  if (!base) return extra;
  return {
    ...(extra.columns ? { columns: extra.columns } : {}),
    fitRow: (row) => { base.fitRow?.(row); extra.fitRow?.(row); },
    fitted: (state) => { base.fitted?.(state); extra.fitted?.(state); },
    row: (row, label, split, cells) => { base.row?.(row, label, split, []); extra.row?.(row, label, split, cells); },
  };
}
