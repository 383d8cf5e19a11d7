import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  chooseFormat,
  detectFileFormat,
  detectLineFormat,
  parseLine,
  type BodyParser,
} from '../../../src/ingest/parsers/detect-format.js';
import {
  accepted,
  emptyRecord,
  type NormalisedRecord,
} from '../../../src/ingest/parsers/record.js';

import { adversarialTails, expectBoundedParse } from './parser-bounds.js';

const context = { receiveTime: new Date('2025-06-01T12:00:00Z') };

function parsed(line: string, options: Partial<Parameters<typeof parseLine>[1]> = {}) {
  const result = parseLine(line, { ...context, ...options });
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.record;
}

/** Stands in for the CEF parser: records the body it was given, knows no time. */
function fakeCef(seen: string[]): BodyParser {
  return (line) => {
    seen.push(line);
    const record = emptyRecord('cef');
    record.vendorFields.dvchost = 'from-body';
    return accepted(record);
  };
}

const EVE =
  '{"timestamp":"2024-05-01T10:00:00Z","flow_id":1,"event_type":"alert","src_ip":"10.0.0.2","dest_ip":"10.0.0.1","proto":"TCP","alert":{"signature":"ET TEST","signature_id":1,"severity":2}}';

describe('detectLineFormat', () => {
  it.each([
    ['CEF:0|Trend Micro|DDI|6.0|100|n|3|src=1.2.3.4', 'cef'],
    ['  CEF: 0|Trend Micro|DDAN|6.0|3|n|3|rt=x', 'cef'],
    ['LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1\tdst=2.10.20.20', 'leef'],
    ['LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5', 'leef'],
    ['<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - x', 'syslog5424'],
    ['<34>Oct 11 22:14:15 mymachine su: x', 'syslog3164'],
    ['<158>CEF:0|Trend Micro|Deep Discovery Inspector|6.0.2026|1539|n|3|', 'syslog3164'],
    ['Oct 11 22:14:15 mymachine su: x', 'syslog3164'],
    [
      'Oct 30, 2021 10:34:23 host.domain.com CEF:0|AO Kaspersky Lab|KWTS|6.1|E|n|Low|',
      'syslog3164',
    ],
    ['July 16 10:34:23 host.domain.com KSMG: CEF:0|AO Kaspersky Lab|KSMG|2.1|E|n|3|', 'syslog3164'],
    ['2025-01-01T10:00:00Z fw01 kernel: x', 'syslog3164'],
    [EVE, 'json'],
    ['date=2019-05-10 time=11:37:47 srcip=10.1.100.11', 'kv'],
    ['kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.2', 'kv'],
    ['Use the BFG!', 'unknown'],
    ['Error 12 10:00:00 something', 'unknown'],
    ['', 'unknown'],
  ])('%j is %s', (line, format) => {
    expect(detectLineFormat(line)).toBe(format);
  });
});

describe('detectFileFormat', () => {
  it('lets the first non-empty lines vote', () => {
    const lines = [
      '',
      'Oct 11 22:14:15 h su: a',
      'Oct 11 22:14:16 h su: b',
      'continuation text',
      'a=1 b=2',
    ];
    expect(detectFileFormat(lines)).toEqual({
      format: 'syslog3164',
      votes: { cef: 0, leef: 0, syslog5424: 0, syslog3164: 2, json: 0, kv: 1, unknown: 1 },
      sampled: 4,
    });
  });

  it('reads only the sample size, and says unknown for an empty or unreadable file', () => {
    const lines = ['a=1', 'a=2', EVE, EVE, EVE];
    expect(detectFileFormat(lines, 2).format).toBe('kv');
    expect(detectFileFormat([]).format).toBe('unknown');
    expect(detectFileFormat(['???', '!!!']).format).toBe('unknown');
  });

  it('breaks ties toward the more specific format', () => {
    expect(detectFileFormat(['a=1', 'CEF:0|a|b|1|2|n|3|']).format).toBe('cef');
  });

  it('a line that is not definite takes the file format', () => {
    expect(chooseFormat('continuation text', 'syslog3164')).toBe('syslog3164');
    expect(chooseFormat(EVE, 'syslog3164')).toBe('json');
  });
});

describe('parseLine routing', () => {
  it('hands a CEF body inside syslog to the CEF parser and adds the header', () => {
    const seen: string[] = [];
    const record = parsed(
      '<134>Jan 18 10:49:41 ddei5 CEF:0|Trend Micro|DDEI|5.1|100132|URL|6|x=1',
      {
        parsers: { cef: fakeCef(seen) },
        receiveTime: new Date('2023-01-18T11:00:00Z'),
      },
    );
    expect(seen).toEqual(['CEF:0|Trend Micro|DDEI|5.1|100132|URL|6|x=1']);
    expect(record.format).toBe('cef');
    expect(record.appliance.host).toBe('ddei5');
    expect(record.eventTime?.toISOString()).toBe('2023-01-18T10:49:41.000Z');
    expect(record.eventTimeText).toBe('Jan 18 10:49:41');
    expect(record.vendorFields['syslog.hostname']).toBe('ddei5');
    expect(record.vendorFields['syslog.facility']).toBe('local0');
    expect(record.vendorFields.dvchost).toBe('from-body');
  });

  it('parses a real DDEI CEF line in syslog with the CEF parser', () => {
    const record = parsed(
      'Jan 18 10:49:41 ddei5 CEF:0|Trend Micro|Deep Discovery Email Inspector|5.1.0.1288|100132|URL_DETECTION|6|rt=Jan 18 2023 10:49:39 GMT+00:00 cs2Label=msgUuid cs2=DA1CCCE4-F287-9205-9939-89E26E97D9E0 request=http://wrs21.winshipway.com/ cs1Label=threats cs1=TSPY_KEYLOG.GC dvc=10.64.1.140',
      { receiveTime: new Date('2023-01-18T11:00:00Z') },
    );
    expect(record.format).toBe('cef');
    expect(record.product).toBe('Deep Discovery Email Inspector');
    expect(record.eventTime?.toISOString()).toBe('2023-01-18T10:49:39.000Z');
    expect(record.url).toBe('http://wrs21.winshipway.com/');
    expect(record.vendorFields['syslog.hostname']).toBe('ddei5');
  });

  it('unwraps syslog relayed inside syslog (Palo Alto forwarder) before the CEF body', () => {
    const seen: string[] = [];
    const record = parsed(
      'Mar 1 20:48:22 gke-standard-cluster-2 4465 <14>1 2021-03-01T20:48:22.900Z stream-logfwd20 logforwarder - panwlogs - CEF:0|Palo Alto Networks|LF|2.0|THREAT|spyware|1|dtz=UTC',
      { parsers: { cef: fakeCef(seen) }, receiveTime: new Date('2021-03-01T21:00:00Z') },
    );
    expect(seen).toEqual(['CEF:0|Palo Alto Networks|LF|2.0|THREAT|spyware|1|dtz=UTC']);
    expect(record.appliance.host).toBe('stream-logfwd20');
    expect(record.eventTime?.toISOString()).toBe('2021-03-01T20:48:22.900Z');
    expect(record.vendorFields['syslog.hostname']).toBe('stream-logfwd20');
    expect(record.vendorFields['syslog.hostname#2']).toBe('gke-standard-cluster-2');
    expect(record.vendorFields['syslog.msgId']).toBe('panwlogs');
  });

  it('a CEF body its parser refuses is refused with the reason, not kept as plain text', () => {
    const result = parseLine('<13>Jan 18 10:49:41 h CEF:0|too|few', {
      ...context,
      parsers: { cef: () => ({ ok: false, reason: 'CEF header has fewer than 7 fields' }) },
    });
    expect(result).toEqual({ ok: false, reason: 'CEF body: CEF header has fewer than 7 fields' });
  });

  it('routes LEEF bodies to the LEEF parser given', () => {
    const seen: string[] = [];
    const leef: BodyParser = (line) => {
      seen.push(line);
      return accepted(emptyRecord('leef2'));
    };
    const record = parsed(
      '<182>Jul 14 01:32:31 trendmicro.deepsecurity.test LEEF:2.0|Trend Micro|Deep Security Manager|11.0.221|851|cat=System',
      { parsers: { leef }, receiveTime: new Date('2025-07-14T02:00:00Z') },
    );
    expect(seen).toEqual(['LEEF:2.0|Trend Micro|Deep Security Manager|11.0.221|851|cat=System']);
    expect(record.format).toBe('leef2');
    expect(record.appliance.host).toBe('trendmicro.deepsecurity.test');
  });

  it('C08: a LEEF 2.0 line goes to the LEEF parser', () => {
    const record = parsed(
      'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21',
    );
    expect(record.format).toBe('leef2');
    expect(record.vendorFields).toMatchObject({
      src: '10.0.1.8',
      dst: '10.0.0.5',
      sev: '5',
      srcPort: '81',
      dstPort: '21',
    });
  });

  it('a LEEF body inside syslog (Deep Security via QRadar) keeps the syslog host', () => {
    const record = parsed(
      '<182>Jul 14 01:32:31 trendmicro.deepsecurity.test LEEF:2.0|Trend Micro|Deep Security Manager|11.0.221|851|cat=System\tname=Reconnaissance Detected: Network or Port Scan\tsev=6\tsrc=192.168.187.196\tusrName=qradar',
      { receiveTime: new Date('2025-07-14T02:00:00Z') },
    );
    expect(record.format).toBe('leef2');
    expect(record.product).toBe('Deep Security Manager');
    expect(record.vendorFields.src).toBe('192.168.187.196');
    expect(record.vendorFields['syslog.hostname']).toBe('trendmicro.deepsecurity.test');
    expect(record.eventTime?.toISOString()).toBe('2025-07-14T01:32:31.000Z');
  });

  it('C09 inside CEF: a year-less rt in a syslog-carried body gets its year from the receive time', () => {
    const record = parsed(
      '<13>Jan  1 00:00:04 ddi01 CEF:0|Trend Micro|DDI|6.0|100|n|6|rt=Dec 31 23:59:58',
      {
        receiveTime: new Date('2026-01-01T00:00:05Z'),
      },
    );
    expect(record.format).toBe('cef');
    expect(record.eventTime?.toISOString()).toBe('2025-12-31T23:59:58.000Z');
    expect(record.eventTimeText).toBe('Dec 31 23:59:58');
  });

  it('a JSON body inside syslog is read as JSON, the header kept', () => {
    const record = parsed(`<14>May  1 10:00:01 sensor01 suricata[811]: ${EVE}`, {
      receiveTime: new Date('2024-05-01T10:00:05Z'),
    });
    expect(record.format).toBe('json');
    expect(record.detectionName).toBe('ET TEST');
    expect(record.eventTime?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(record.appliance.host).toBe('sensor01');
    expect(record.vendorFields['syslog.appName']).toBe('suricata');
  });

  it('a key=value body inside syslog is read as key=value', () => {
    const record = parsed(
      '<4>Mar 14 12:00:00 fw01 kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.2 PROTO=TCP SPT=5 DPT=22',
      { receiveTime: new Date('2025-03-14T12:00:10Z') },
    );
    expect(record.format).toBe('kv');
    expect(record.source.ip).toBe('192.0.2.1');
    expect(record.destination.port).toBe(22);
    expect(record.eventTime?.toISOString()).toBe('2025-03-14T12:00:00.000Z');
    expect(record.appliance.host).toBe('fw01');
  });

  it('a body time that names no instant gives way to the header time, still flagged', () => {
    const record = parsed('<13>Mar 14 12:00:00 fw01 app: time=35ms src=192.0.2.1 dst=192.0.2.2', {
      receiveTime: new Date('2025-03-14T12:00:10Z'),
    });
    expect(record.format).toBe('kv');
    expect(record.eventTime?.toISOString()).toBe('2025-03-14T12:00:00.000Z');
    expect(record.eventTimeText).toBe('Mar 14 12:00:00');
    expect(record.vendorFields.time).toBe('35ms');
    expect(record.warnings).toEqual(['timestamp_invalid']);
  });

  it('free text with a stray key=value (RFC 3164 example 3) stays plain syslog', () => {
    const record = parsed(
      "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK",
    );
    expect(record.format).toBe('syslog3164');
    expect(record.appliance.host).toBe('mymachine');
    expect(record.message).toMatch(/^%% It's time to make the do-nuts\./);
  });

  it('plain syslog text stays a syslog record', () => {
    const record: NormalisedRecord = parsed(
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    );
    expect(record.format).toBe('syslog3164');
    expect(record.message).toBe("'su root' failed for lonvick on /dev/pts/8");
  });

  it('a body that only looks like JSON falls back to plain syslog', () => {
    const record = parsed('<13>Oct 11 22:14:15 h app: {not json at all');
    expect(record.format).toBe('syslog3164');
    expect(record.message).toBe('{not json at all');
  });

  it('a line that fits no format is refused; one that fits its file format is tried with it', () => {
    expect(parseLine('Use the BFG!', context)).toEqual({
      ok: false,
      reason: 'no known log format',
    });
    expect(parseLine('Use the BFG!', { ...context, fileFormat: 'syslog3164' })).toEqual({
      ok: false,
      reason: 'neither a PRI nor a syslog time stamp',
    });
  });

  describe.each([
    '<13>Oct 11 22:14:15 host tag: ',
    '<13>Oct 11 22:14:15 host 4465 <14>1 - h a - - - ',
    '<13>Oct 11 22:14:15 host tag: {"a":"',
    '<13>Oct 11 22:14:15 host tag: CEF:0|a|b|1|2|n|3|',
    'LEEF:2.0|a|b|1|2|^|',
    'kernel: a=',
  ])('on 100 KB hostile lines after %j', (head) => {
    it.each(adversarialTails(head))('$name: bounded time and memory', ({ line }) => {
      expectBoundedParse((text) => parseLine(text, context), line);
    });
  });

  it('never throws, whatever the line', () => {
    const pieces = fc.constantFrom(
      '<13>',
      '<14>1 ',
      'Oct 11 22:14:15 ',
      'host ',
      'tag: ',
      'CEF:0|',
      'LEEF:2.0|',
      '|',
      '{"a":',
      '4465 ',
      'a=b ',
      '\\',
      '"',
    );
    const hostile = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 30 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(hostile, (line) => {
        const result = parseLine(line, context);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
