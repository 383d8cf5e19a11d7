/** RFC 5424 lines: `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`. */
import {
  failed,
  nil,
  readField,
  readMessage,
  readPri,
  type StructuredDataElement,
  type SyslogRead,
} from './syslog-message.js';
import { read5424Timestamp } from './syslog-time.js';
import type { TimeContext } from './zoned-time.js';

interface HeaderFields {
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

const HEADER_FIELD_NAMES = ['VERSION', 'TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];

function readHeaderFields(
  line: string,
  position: number,
): { fields: HeaderFields; next: number } | string {
  const values: string[] = [];
  let next = position;
  for (const name of HEADER_FIELD_NAMES) {
    const field = readField(line, next);
    if (field === null) return `line ends where ${name} was expected`;
    values.push(field.value);
    next = field.next;
  }
  const [version = '', timestamp = '', hostname = '', appName = '', procId = '', msgId = ''] =
    values;
  return { fields: { version, timestamp, hostname, appName, procId, msgId }, next };
}

/** RFC 5424 section 6.3.3: inside PARAM-VALUE only `"`, `\` and `]` are escaped. */
function readParamValue(line: string, position: number): { value: string; next: number } | null {
  let value = '';
  let runStart = position;
  for (let index = position; index < line.length; index += 1) {
    const char = line[index];
    if (char === '"') return { value: value + line.slice(runStart, index), next: index + 1 };
    if (char !== '\\') continue;
    const following = line[index + 1];
    if (following === '"' || following === '\\' || following === ']') {
      value += line.slice(runStart, index) + following;
      index += 1;
      runStart = index + 1;
    }
  }
  return null;
}

const SD_NAME = /[^ =\]"]{1,32}/y;

function readSdName(line: string, position: number): { name: string; next: number } | null {
  SD_NAME.lastIndex = position;
  const match = SD_NAME.exec(line);
  return match === null ? null : { name: match[0], next: SD_NAME.lastIndex };
}

function readSdParam(
  line: string,
  position: number,
): { param: [string, string]; next: number } | string {
  const name = readSdName(line, position);
  if (name === null) return 'bad PARAM-NAME in STRUCTURED-DATA';
  if (line.slice(name.next, name.next + 2) !== '="') return `no '="' after PARAM-NAME`;
  const value = readParamValue(line, name.next + 2);
  if (value === null) return 'unterminated PARAM-VALUE in STRUCTURED-DATA';
  return { param: [name.name, value.value], next: value.next };
}

function readSdElement(
  line: string,
  position: number,
): { element: StructuredDataElement; next: number } | string {
  const id = readSdName(line, position + 1);
  if (id === null) return 'bad SD-ID in STRUCTURED-DATA';
  const params: [string, string][] = [];
  let next = id.next;
  while (line[next] === ' ') {
    const param = readSdParam(line, next + 1);
    if (typeof param === 'string') return param;
    params.push(param.param);
    next = param.next;
  }
  if (line[next] !== ']') return 'unterminated SD-ELEMENT in STRUCTURED-DATA';
  return { element: { id: id.name, params }, next: next + 1 };
}

function readStructuredData(
  line: string,
  position: number,
): { elements: StructuredDataElement[]; next: number } | string {
  let start = position;
  while (line[start] === ' ') start += 1;
  if (line[start] === '-') return { elements: [], next: start + 1 };
  if (line[start] !== '[') return 'line ends where STRUCTURED-DATA was expected';
  const elements: StructuredDataElement[] = [];
  let next = start;
  while (line[next] === '[') {
    const element = readSdElement(line, next);
    if (typeof element === 'string') return element;
    elements.push(element.element);
    next = element.next;
  }
  return { elements, next };
}

/** Reads an RFC 5424 line into its parts, without the record mapping. */
export function readSyslog5424(line: string, context: TimeContext): SyslogRead {
  const pri = readPri(line);
  if (pri === null) return failed('no PRI (<0>..<191>) at the start of the line');
  const header = readHeaderFields(line, pri.next);
  if (typeof header === 'string') return failed(header);
  const { fields } = header;
  if (fields.version !== '1') return failed(`unsupported syslog version "${fields.version}"`);
  const stamp = read5424Timestamp(fields.timestamp, context);
  if (typeof stamp === 'string') return failed(stamp);
  const sd = readStructuredData(line, header.next);
  if (typeof sd === 'string') return failed(sd);
  return {
    ok: true,
    syslog: {
      format: 'syslog5424',
      facility: pri.facility,
      severity: pri.severity,
      eventTime: stamp.time,
      timestampText: nil(fields.timestamp),
      hostname: nil(fields.hostname),
      appName: nil(fields.appName),
      procId: nil(fields.procId),
      msgId: nil(fields.msgId),
      structuredData: sd.elements,
      message: readMessage(line, sd.next),
      warnings: stamp.warnings,
    },
  };
}
