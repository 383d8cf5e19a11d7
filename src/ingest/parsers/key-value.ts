/**
 * `key=value` lines (firewalls, proxies, iptables): the pairs are read in key-value-pairs.ts
 * and mapped onto the normalised record by common-fields.ts, which JSON lines reuse. The
 * helpers that used to live here are re-exported, so importers of this module keep working.
 */
import { applyCommonFields } from './common-fields.js';
import { readKeyValuePairs } from './key-value-pairs.js';
import {
  accepted,
  emptyRecord,
  emptyVendorFields,
  rejected,
  warn,
  type ParseResult,
} from './record.js';
import { MAX_VENDOR_FIELDS, addVendorField } from './vendor-fields.js';
import type { TimeContext } from './zoned-time.js';

export { normaliseName } from './common-field-names.js';
export { applyCommonFields, severityLevel } from './common-fields.js';
export { readKeyValuePairs, type KeyValuePair, type KeyValueText } from './key-value-pairs.js';
export { MAX_VENDOR_FIELDS, addVendorField } from './vendor-fields.js';

/** A line of `key=value` pairs, optionally after some free text. */
export function parseKeyValue(line: string, context: TimeContext): ParseResult {
  const { prefix, pairs } = readKeyValuePairs(line, MAX_VENDOR_FIELDS + 1);
  if (pairs.length === 0) return rejected('no key=value pairs');
  const record = emptyRecord('kv');
  if (pairs.length > MAX_VENDOR_FIELDS) {
    pairs.length = MAX_VENDOR_FIELDS;
    warn(record, 'too_many_fields');
  }
  const fields = emptyVendorFields();
  for (const pair of pairs) addVendorField(fields, pair.key, pair.value);
  record.vendorFields = fields;
  // The pairs in order: cheaper to walk than the vendor fields' dictionary, same first-wins.
  applyCommonFields(
    record,
    context,
    pairs.map((pair) => [pair.key, pair.value] as const),
  );
  if (prefix !== '' && record.message === undefined) record.message = prefix;
  return accepted(record);
}
