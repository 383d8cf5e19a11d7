import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readEventStamp } from '../../../src/ingest/parsers/event-time.js';
import { parseLeef } from '../../../src/ingest/parsers/leef.js';
import { readPatternStamp } from '../../../src/ingest/parsers/leef-time.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';

import { adversarialTails, expectBoundedParse } from './parser-bounds.js';

function parsed(line: string): NormalisedRecord {
  const result = parseLeef(line);
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return result.record;
}

function fieldsOf(line: string): Record<string, string> {
  return { ...parsed(line).vendorFields };
}

/** Deep Discovery Inspector's LEEF 1.0 threat detection, laid out as its mapping guide shows. */
const DDI_LEEF = [
  'LEEF:1.0|Trend Micro|Deep Discovery Inspector|3.8.1175|SECURITY_RISK_DETECTION|' +
    'devTimeFormat=MMM dd yyyy HH:mm:ss z',
  'ptype=IDS',
  'dvc=10.201.156.143',
  'deviceMacAddress=00:0C:29:A6:53:0C',
  'dvchost=ddi38-143',
  'deviceGUID=6B593E17AFB7-40FBBB28-A4CE-0462-A536',
  'devTime=Mar 09 2015 11:58:24 GMT+08:00',
  'sev=6',
  'protoGroup=HTTP',
  'proto=HTTP',
  'vLANId=4095',
  'deviceDirection=1',
  'dhost=www.freewebs.com',
  'dst=216.52.115.2',
  'dstPort=80',
  'dstMAC=00:1b:21:35:8b:98',
  'shost=172.16.1.197',
  'src=172.16.1.197',
  'srcPort=12121',
  'srcMAC=fe:ed:be:ef:5a:c6',
  'malType=MALWARE',
  'fname=setting.doc',
  'fileType=0',
  'fsize=0',
  'ruleId=20',
  'msg=Malware URL requested - Type 1',
  'url=http://www.freewebs.com/setting3/setting.doc?a=b',
  'pComp=CAV',
  'srcGroup=Default',
  'srcZone=1',
  'dstZone=0',
  'detectionType=1',
  'act=not blocked',
  'threatType=1',
  'interestedIp=172.16.1.197',
  'peerIp=216.52.115.2',
].join('\t');

const DEEP_SECURITY_ATTRIBUTES = [
  'cat=Anti-Malware',
  'name=HEU_AEGIS_CRYPT',
  'desc=HEU_AEGIS_CRYPT',
  'sev=6',
  'cn1=241',
  'cn1Label=Host ID',
  'dvc=10.0.0.1',
  'filePath=C:\\Windows\\System32\\virus.exe',
  'act=Terminate',
  'msg=Realtime',
];
const DEEP_SECURITY_HEADER = 'LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1|4000030|';

describe('parseLeef: handed case C08', () => {
  it.each([
    ['no delimiter field (TAB)', DEEP_SECURITY_ATTRIBUTES.join('\t')],
    ['a caret', `^|${DEEP_SECURITY_ATTRIBUTES.join('^')}`],
    ['hex x08 (backspace)', `x08|${DEEP_SECURITY_ATTRIBUTES.join('\b')}`],
    ['hex 0x09 (TAB)', `0x09|${DEEP_SECURITY_ATTRIBUTES.join('\t')}`],
    ['an empty delimiter field (TAB)', `|${DEEP_SECURITY_ATTRIBUTES.join('\t')}`],
  ])('reads a Deep Security line with %s', (_variant, rest) => {
    const record = parsed(DEEP_SECURITY_HEADER + rest);

    expect(record).toMatchObject({
      format: 'leef2',
      action: 'Terminate',
      name: 'HEU_AEGIS_CRYPT',
      detectionName: 'HEU_AEGIS_CRYPT',
      severity: { level: 6, original: '6' },
      eventClassId: '4000030',
      warnings: [],
    });
    expect(record.file.name).toBe('C:\\Windows\\System32\\virus.exe');
    expect(record.vendorFields['Host ID']).toBe('241');
  });

  it('reads the StealthWatch line with a caret delimiter', () => {
    const line =
      'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|' +
      'src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21';

    expect(fieldsOf(line)).toEqual({
      src: '10.0.1.8',
      dst: '10.0.0.5',
      sev: '5',
      srcPort: '81',
      dstPort: '21',
    });
    expect(parsed(line)).toMatchObject({
      source: { ip: '10.0.1.8', port: 81 },
      destination: { ip: '10.0.0.5', port: 21 },
    });
  });

  it('falls back to TAB, flagged, when the delimiter field is unreadable', () => {
    const record = parsed(`${DEEP_SECURITY_HEADER}xyz|act=Terminate\tsev=6`);

    expect(record.action).toBe('Terminate');
    expect(record.warnings).toEqual(['leef_delimiter_unreadable']);
  });

  it('keeps a | inside attributes when the delimiter field is absent', () => {
    expect(fieldsOf(`${DEEP_SECURITY_HEADER}msg=a|b\tact=Terminate`)).toEqual({
      msg: 'a|b',
      act: 'Terminate',
    });
  });
});

describe('parseLeef: Deep Discovery Inspector fields', () => {
  it('maps a LEEF 1.0 detection onto the record, with devTime read by devTimeFormat', () => {
    const record = parsed(DDI_LEEF);

    expect(record).toMatchObject({
      format: 'leef1',
      eventTime: new Date('2015-03-09T03:58:24Z'),
      eventTimeText: 'Mar 09 2015 11:58:24 GMT+08:00',
      vlan: 4095,
      detectionName: 'Malware URL requested - Type 1',
      engine: 'CAV',
      direction: 'outbound',
      threatType: '1',
      severity: { level: 6, original: '6' },
      protocol: 'HTTP',
      ruleId: '20',
      action: 'not blocked',
      url: 'http://www.freewebs.com/setting3/setting.doc?a=b',
      vendor: 'Trend Micro',
      product: 'Deep Discovery Inspector',
      version: '3.8.1175',
      eventClassId: 'SECURITY_RISK_DETECTION',
      name: null,
      warnings: [],
    });
    expect(record.source).toEqual({
      host: '172.16.1.197',
      ip: '172.16.1.197',
      port: 12121,
      mac: 'fe:ed:be:ef:5a:c6',
      group: 'Default',
      zone: '1',
      account: null,
    });
    expect(record.destination).toMatchObject({ host: 'www.freewebs.com', port: 80, zone: '0' });
    expect(record.file).toMatchObject({ name: 'setting.doc', type: '0', size: 0 });
    expect(record.appliance).toEqual({
      guid: '6B593E17AFB7-40FBBB28-A4CE-0462-A536',
      host: 'ddi38-143',
      ip: '10.201.156.143',
    });
    expect(record.vendorFields.interestedIp).toBe('172.16.1.197');
  });

  it('reads a LEEF 2.0 line after a syslog header, and usrName as the source account', () => {
    const record = parsed(
      '<182>Jul 14 01:32:31 dsm.example.test LEEF:2.0|Trend Micro|Deep Security Manager|' +
        '11.0.221|851|cat=System\tname=Reconnaissance Detected: Network or Port Scan\tsev=6\t' +
        'src=192.168.187.196\tusrName=qradar',
    );

    expect(record).toMatchObject({
      detectionName: 'Reconnaissance Detected: Network or Port Scan',
      source: { ip: '192.168.187.196', account: 'qradar' },
      eventTimeText: 'Jul 14 01:32:31',
      eventTime: null,
    });
  });

  it('keeps a delimiter found inside a value there, and flags it', () => {
    const record = parsed('LEEF:1.0|v|p|1|id|msg=two\tparts\tact=x\t\t');

    expect({ ...record.vendorFields }).toEqual({ msg: 'two\tparts', act: 'x' });
    expect(record.warnings).toEqual(['text_without_key']);
  });

  it.each([
    ['not leef', 'not LEEF: no "LEEF:" marker'],
    ['LEEF:1.0|v|p|1', 'LEEF header has fewer than 5 fields'],
    ['LEEF:3.0|v|p|1|id|a=b', 'LEEF version is neither 1.0 nor 2.0'],
  ])('rejects %j', (line, reason) => {
    expect(parseLeef(line)).toEqual({ ok: false, reason });
  });
});

describe('devTime read with devTimeFormat', () => {
  it.each([
    ['03/04/2025 10:00:00 UTC', 'dd/MM/yyyy HH:mm:ss z', '2025-04-03T10:00:00.000Z'],
    ['03/04/2025 10:00:00 UTC', 'MM/dd/yyyy HH:mm:ss z', '2025-03-04T10:00:00.000Z'],
    ['2025-03-04T10:00:00.25+09:00', "yyyy-MM-dd'T'HH:mm:ss.SSXXX", '2025-03-04T01:00:00.250Z'],
    ['20250304100000 +0000', 'yyyyMMddHHmmss Z', '2025-03-04T10:00:00.000Z'],
    ['Tue, 4 Mar 25 01:05:00 PM GMT', 'EEE, d MMM yy hh:mm:ss a z', '2025-03-04T13:05:00.000Z'],
    ['Mar  9 2015 11:58:24 GMT+08:00', 'MMM d yyyy HH:mm:ss z', '2015-03-09T03:58:24.000Z'],
  ])('reads %j with %j', (text, pattern, iso) => {
    const stamp = readPatternStamp(text, pattern);
    expect(stamp?.kind).toBe('wall');
    const line = `LEEF:1.0|v|p|1|id|devTime=${text}\tdevTimeFormat=${pattern}`;

    expect(parsed(line).eventTime?.toISOString()).toBe(iso);
  });

  it.each([
    ['03/04/2025', 'dd/MM/yyyy GGG'],
    ['31/02/2025 10:00:00', 'dd/MM/yyyy HH:mm:ss'],
    ['03/04/2025 extra', 'dd/MM/yyyy'],
    ['03-04-2025', 'dd/MM/yyyy'],
  ])('reads nothing from %j with %j', (text, pattern) => {
    expect(readPatternStamp(text, pattern)).toBeNull();
  });

  it('falls back to the forms every sender uses when the pattern does not fit', () => {
    expect(readEventStamp('1593761104000', 'MMM dd yyyy HH:mm:ss')).toEqual({
      kind: 'instant',
      time: new Date(1593761104000),
    });
  });
});

describe('parseLeef: hostile input', () => {
  const leefLike = fc.string({
    unit: fc.constantFrom('LEEF:2.0|', 'LEEF:1.0|', '|', '^', 'x5E', '\t', '=', ' ', 'a', '\\'),
    maxLength: 200,
  });

  it('never throws, on any text or on text shaped like LEEF', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), leefLike), (line) => {
        const result = parseLeef(line);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on any devTime and devTimeFormat', () => {
    const patternText = fc.string({
      unit: fc.constantFrom('y', 'M', 'd', 'H', 'h', 'm', 's', 'S', 'a', 'z', "'", ' ', '/', 'E'),
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), patternText, (text, pattern) => {
        const stamp = readPatternStamp(text, pattern);
        expect(stamp === null || stamp.kind === 'wall').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ...adversarialTails('LEEF:1.0|v|p|1|id|'),
    ...adversarialTails('LEEF:2.0|v|p|1|id|^|'),
    ...adversarialTails('LEEF:2.0|v|p|1|id|'),
  ])('parses a 100 KB line of $name quickly and keeps no more than the line', ({ line }) => {
    expectBoundedParse(parseLeef, line);
  });

  it('keeps no more than the line for any LEEF-shaped line', () => {
    fc.assert(
      fc.property(leefLike, (tail) => expectBoundedParse(parseLeef, `LEEF:2.0|v|p|1|id|${tail}`)),
      { numRuns: 1000 },
    );
  });
});
