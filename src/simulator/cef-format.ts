/** The parts of one CEF line; the simulator writes nothing that needs escaping in the header. */
export interface CefEvent {
  product: string;
  version: string;
  classId: string;
  name: string;
  severity: number;
  fields: ReadonlyArray<readonly [string, string]>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function cefLine(event: CefEvent): string {
  const extension = event.fields.map(([key, value]) => `${key}=${escapeValue(value)}`).join(' ');
  const header = ['CEF:0', 'Trend Micro', event.product, event.version, event.classId];
  return `${[...header, event.name, String(event.severity)].join('|')}|${extension}`;
}

/** Extension values escape `\` and `=`; line breaks would split the record, so none are kept. */
function escapeValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/[\r\n]+/g, ' ');
}

/** `rt` the way Trend Micro appliances write it: `Mar 01 2025 09:00:00 GMT+00:00`. */
export function trendTime(time: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  const month = MONTHS[time.getUTCMonth()] ?? 'Jan';
  const clock = [time.getUTCHours(), time.getUTCMinutes(), time.getUTCSeconds()].map(two).join(':');
  return `${month} ${two(time.getUTCDate())} ${time.getUTCFullYear()} ${clock} GMT+00:00`;
}
