/**
 * Each test row's group under every protected attribute, collected as the
 * rows stream past (two bytes a row and attribute; the raw cells are never
 * kept), in the order of the test matrix, so group i lines up with score i.
 */
import type { DatasetObserver } from "./dataset.ts";
import type { ProtectedAttribute } from "./protected.ts";
import type { ProxyTally } from "./proxy-tally.ts";
import { TEST } from "./split.ts";

export interface TestGroups {
  attribute: ProtectedAttribute;
  /** Per test row, an index into `attribute.groups`. */
  codes: Uint16Array;
}

/** `proxies`, when given, also counts every usable row (all splits: proxies describe the data, not the model). */
export function groupCollector(attributes: ProtectedAttribute[], proxies?: ProxyTally): { observer: DatasetObserver; done(): TestGroups[] } {
  let codes = attributes.map(() => new Uint16Array(1024));
  let n = 0;
  return {
    observer: {
      columns: attributes.map((a) => a.column),
      row: (row, _label, split, cells) => {
        if (proxies) proxies.add(row, attributes.map((a, k) => a.groupOf(cells[k] as string)));
        if (split !== TEST) return;
        if (n === (codes[0] as Uint16Array).length) codes = codes.map((c) => { const g = new Uint16Array(c.length * 2); g.set(c); return g; });
        attributes.forEach((a, k) => { (codes[k] as Uint16Array)[n] = a.groupOf(cells[k] as string); });
        n++;
      },
    },
    done: () => attributes.map((attribute, k) => ({ attribute, codes: (codes[k] as Uint16Array).slice(0, n) })),
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
