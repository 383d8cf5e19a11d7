/**
 * RFC 3164 lines and their loose relatives: `<PRI>TIMESTAMP HOSTNAME TAG[PID]: MSG`, where the
 * PRI, the HOSTNAME and the TAG may each be missing.
 */
import {
  failed,
  readField,
  readMessage,
  readPri,
  stripBom,
  type SyslogMessage,
  type SyslogRead,
} from './syslog-message.js';
import { read3164Stamp } from './syslog-time.js';
import type { TimeContext } from './zoned-time.js';

const TAG = /([^\s[\]:]{1,64})(?:\[([^\]\s]{0,128})\])?:(?= |$)/y;
const EMBEDDED_BODY = /^(?:CEF|LEEF): ?\d/;

interface Tag {
  tag: string;
  pid: string | null;
  next: number;
}

function readTag(line: string, position: number): Tag | null {
  if (EMBEDDED_BODY.test(line.slice(position, position + 8))) return null;
  TAG.lastIndex = position;
  const match = TAG.exec(line);
  if (match === null) return null;
  return { tag: match[1] ?? '', pid: match[2] ?? null, next: TAG.lastIndex };
}

interface HostAndTag {
  hostname: string | null;
  tag: Tag | null;
  message: string;
}

/** `HOSTNAME TAG[PID]: MSG`, where either of HOSTNAME and TAG may be missing. */
function readHostAndTag(line: string, position: number): HostAndTag {
  const first = readField(line, position);
  if (first === null) return { hostname: null, tag: null, message: '' };
  const start = first.next - first.value.length;
  const tagFirst = readTag(line, start);
  // A hostname never holds `=`: such a first word already belongs to a key=value body.
  const hostless =
    tagFirst !== null || EMBEDDED_BODY.test(first.value) || first.value.includes('=');
  const hostname = hostless ? null : first.value;
  let next = hostless ? start : first.next;
  while (line[next] === ' ') next += 1;
  const tag = tagFirst ?? readTag(line, next);
  if (tag !== null) next = tag.next;
  return { hostname, tag, message: readMessage(line, next) };
}

/** Reads an RFC 3164 line (or one of its loose relatives) into its parts. */
export function readSyslog3164(line: string, context: TimeContext): SyslogRead {
  const pri = line.startsWith('<') ? readPri(line) : null;
  const afterPri = pri?.next ?? 0;
  const stamp = read3164Stamp(line, afterPri, context);
  if (stamp === null && pri === null) return failed('neither a PRI nor a syslog time stamp');
  // RFC 3164 section 4.3.3: without a valid TIMESTAMP the whole rest is CONTENT.
  const rest =
    stamp === null
      ? { hostname: null, tag: null, message: stripBom(line.slice(afterPri)) }
      : readHostAndTag(line, stamp.next);
  const syslog: SyslogMessage = {
    format: 'syslog3164',
    facility: pri?.facility ?? null,
    severity: pri?.severity ?? null,
    eventTime: stamp?.time ?? context.receiveTime,
    timestampText: stamp?.text ?? null,
    hostname: rest.hostname,
    appName: rest.tag?.tag ?? null,
    procId: rest.tag?.pid ?? null,
    msgId: null,
    structuredData: [],
    message: rest.message,
    warnings: stamp?.warnings ?? ['timestamp_missing'],
  };
  return { ok: true, syslog };
}
