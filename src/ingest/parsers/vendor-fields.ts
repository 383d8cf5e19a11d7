/**
 * Adding to a record's vendor fields, which keep every field a sender wrote under its own
 * name: repeated keys are numbered, and the count is bounded.
 */

/**
 * More fields than any real event carries. A hostile line of short repeated keys would
 * otherwise keep more text than it had (`a=` becomes `a#12345`); the rest is dropped, flagged.
 */
export const MAX_VENDOR_FIELDS = 2000;

/** Per field set, the next suffix to try for each repeated key: n repeats cost O(n), not n². */
const nextSuffix = new WeakMap<Record<string, string>, Map<string, number>>();

/** A repeated key is kept as `key#2`, `key#3`…, so no value is lost. */
export function addVendorField(fields: Record<string, string>, key: string, value: string): void {
  if (!(key in fields)) {
    fields[key] = value;
    return;
  }
  let suffixes = nextSuffix.get(fields);
  if (suffixes === undefined) {
    suffixes = new Map();
    nextSuffix.set(fields, suffixes);
  }
  let count = suffixes.get(key) ?? 2;
  while (`${key}#${count}` in fields) count += 1;
  fields[`${key}#${count}`] = value;
  suffixes.set(key, count + 1);
}
