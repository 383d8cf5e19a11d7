/**
 * What a syslog header reads into, and the small readers both flavours (RFC 5424 and RFC 3164)
 * share: PRI, space-delimited fields, the MSG after the header.
 */

export type SyslogFormat = 'syslog3164' | 'syslog5424';

export interface StructuredDataElement {
  id: string;
  params: [name: string, value: string][];
}

export interface SyslogMessage {
  format: SyslogFormat;
  /** Null when the line had no PRI (files written by a local syslog daemon often have none). */
  facility: number | null;
  severity: number | null;
  /** As read; the receive time when the stamp was missing or impossible (see warnings). */
  eventTime: Date;
  timestampText: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: StructuredDataElement[];
  /** Everything after the header, a leading BOM removed; empty when there is none. */
  message: string;
  warnings: string[];
}

export type SyslogRead = { ok: true; syslog: SyslogMessage } | { ok: false; reason: string };

const MAX_PRI = 191;
const BOM = '\uFEFF';

export const failed = (reason: string): SyslogRead => ({ ok: false, reason });

interface Pri {
  facility: number;
  severity: number;
  next: number;
}

const PRI = /<(\d{1,3})>/y;

export function readPri(line: string): Pri | null {
  PRI.lastIndex = 0;
  const match = PRI.exec(line);
  const value = Number(match?.[1]);
  if (match === null || value > MAX_PRI) return null;
  return { facility: value >> 3, severity: value & 7, next: PRI.lastIndex };
}

/** A space-delimited header field; several spaces count as one, as lenient receivers do. */
export function readField(line: string, position: number): { value: string; next: number } | null {
  let start = position;
  while (line.charCodeAt(start) === 0x20) start += 1;
  if (start >= line.length) return null;
  let end = line.indexOf(' ', start);
  if (end === -1) end = line.length;
  return { value: line.slice(start, end), next: end };
}

export const nil = (value: string): string | null => (value === '-' ? null : value);

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

export function readMessage(line: string, position: number): string {
  const start = line[position] === ' ' ? position + 1 : position;
  return stripBom(line.slice(start));
}
