import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';
import {
  parseSyslog,
  parseSyslog3164,
  parseSyslog5424,
} from '../../../src/ingest/parsers/syslog.js';
import { readSyslog3164 } from '../../../src/ingest/parsers/syslog-3164.js';
import { readSyslog5424 } from '../../../src/ingest/parsers/syslog-5424.js';
import { inferYear, skewSeconds, zonedTimeToUtc } from '../../../src/ingest/parsers/zoned-time.js';

import { adversarialTails, expectBoundedParse, retainedChars } from './parser-bounds.js';

const RECEIVED = new Date('2025-06-01T12:00:00Z');
const at = (iso: string) => ({ receiveTime: new Date(iso) });

function record(result: ReturnType<typeof parseSyslog>): NormalisedRecord {
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.record;
}

const BOM = '\uFEFF';

// RFC 5424 section 6.5 and RFC 3164 section 5.4 examples (IETF), as in the samples file.
const RFC5424_EX1 = `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`;
const RFC5424_EX2 =
  "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.";
const RFC5424_EX3 = `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`;
const RFC5424_EX4 =
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]';
const RFC3164_EX1 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
const RFC3164_EX3 =
  "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK";
const RFC3164_EX4 =
  "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!";

describe('RFC 5424', () => {
  it('example 1: no SD, no PROCID, MSG starting with a BOM', () => {
    const read = readSyslog5424(RFC5424_EX1, { receiveTime: RECEIVED });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.syslog).toMatchObject({
      format: 'syslog5424',
      facility: 4,
      severity: 2,
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: null,
      msgId: 'ID47',
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(read.syslog.eventTime.toISOString()).toBe('2003-10-11T22:14:15.003Z');
    const mapped = record(parseSyslog5424(RFC5424_EX1, { receiveTime: RECEIVED }));
    expect(mapped.format).toBe('syslog5424');
    expect(mapped.severity).toEqual({ level: 8, original: 'crit' });
    expect(mapped.appliance.host).toBe('mymachine.example.com');
    expect(mapped.vendorFields['syslog.facility']).toBe('auth');
    expect(mapped.warnings).toEqual([]);
  });

  it('example 2: microseconds and a -07:00 offset; the text keeps the full precision', () => {
    const mapped = record(parseSyslog5424(RFC5424_EX2, { receiveTime: RECEIVED }));
    expect(mapped.eventTime?.toISOString()).toBe('2003-08-24T12:14:15.000Z');
    expect(mapped.eventTimeText).toBe('2003-08-24T05:14:15.000003-07:00');
    expect(mapped.appliance.host).toBe('192.0.2.1');
    expect(mapped.vendorFields['syslog.procId']).toBe('8710');
    expect(mapped.message).toBe("%% It's time to make the do-nuts.");
  });

  it('an explicit offset wins over the appliance zone', () => {
    const mapped = record(
      parseSyslog5424(RFC5424_EX2, { receiveTime: RECEIVED, timeZone: 'Asia/Tokyo' }),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2003-08-24T12:14:15.000Z');
  });

  it('examples 3 and 4: structured data elements, with and without MSG', () => {
    const three = record(parseSyslog5424(RFC5424_EX3, { receiveTime: RECEIVED }));
    expect(three.vendorFields['exampleSDID@32473.iut']).toBe('3');
    expect(three.vendorFields['exampleSDID@32473.eventSource']).toBe('Application');
    expect(three.vendorFields['exampleSDID@32473.eventID']).toBe('1011');
    expect(three.message).toBe('An application event log entry...');
    const four = readSyslog5424(RFC5424_EX4, { receiveTime: RECEIVED });
    expect(four.ok && four.syslog.structuredData).toEqual([
      {
        id: 'exampleSDID@32473',
        params: [
          ['iut', '3'],
          ['eventSource', 'Application'],
          ['eventID', '1011'],
        ],
      },
      { id: 'examplePriority@32473', params: [['class', 'high']] },
    ]);
    expect(four.ok && four.syslog.message).toBe('');
  });

  it('unescapes \\], \\" and \\\\ in PARAM-VALUE and keeps any other backslash', () => {
    const line = String.raw`<13>1 2025-01-01T00:00:00Z h a - - [x@1 a="one \] two" b="say \"hi\"" c="C:\\dir" d="\n"] m`;
    const read = readSyslog5424(line, { receiveTime: RECEIVED });
    expect(read.ok && read.syslog.structuredData[0]?.params).toEqual([
      ['a', 'one ] two'],
      ['b', 'say "hi"'],
      ['c', 'C:\\dir'],
      ['d', '\\n'],
    ]);
    expect(read.ok && read.syslog.message).toBe('m');
  });

  it('the "origin" element names the appliance address and software', () => {
    const line =
      '<13>1 2025-01-01T00:00:00Z ddi01 ddi - - [origin ip="192.0.2.7" software="DDI" swVersion="6.0"] x';
    const mapped = record(parseSyslog5424(line, { receiveTime: RECEIVED }));
    expect(mapped.appliance).toEqual({ guid: null, host: 'ddi01', ip: '192.0.2.7' });
    expect(mapped.product).toBe('DDI');
    expect(mapped.version).toBe('6.0');
  });

  it('NILVALUE everywhere: the receive time stands in, flagged', () => {
    const read = readSyslog5424('<1>1 - - - - - -', { receiveTime: RECEIVED });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.syslog).toMatchObject({
      hostname: null,
      appName: null,
      procId: null,
      msgId: null,
      timestampText: null,
      warnings: ['timestamp_missing'],
    });
    expect(read.syslog.eventTime).toEqual(RECEIVED);
  });

  it('an impossible date keeps the receive time and is flagged, never rolled over', () => {
    const mapped = record(
      parseSyslog5424('<13>1 2023-02-29T10:00:00Z h a - - - x', { receiveTime: RECEIVED }),
    );
    expect(mapped.eventTime).toEqual(RECEIVED);
    expect(mapped.eventTimeText).toBe('2023-02-29T10:00:00Z');
    expect(mapped.warnings).toEqual(['timestamp_invalid']);
  });

  it('a stamp without offset takes the appliance zone', () => {
    const mapped = record(
      parseSyslog5424('<13>1 2025-07-01T10:00:00 h a - - - x', {
        receiveTime: RECEIVED,
        timeZone: 'Europe/Berlin',
      }),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2025-07-01T08:00:00.000Z');
  });

  it.each([
    ['<1>1', 'line ends where TIMESTAMP was expected'],
    ['<2>12 A B C D E -', 'unsupported syslog version "12"'],
    ['<1>1 A B C D E -', 'bad TIMESTAMP "A"'],
    ['<1>1 - - - - -', 'line ends where STRUCTURED-DATA was expected'],
    ['<1>1 - - - - - [x@1 a="b"', 'unterminated SD-ELEMENT in STRUCTURED-DATA'],
    ['<1>1 - - - - - [x@1 a="b', 'unterminated PARAM-VALUE in STRUCTURED-DATA'],
    ['<1>1 - - - - - [x@1 a=b]', `no '="' after PARAM-NAME`],
    ['<192>1 - - - - - -', 'no PRI (<0>..<191>) at the start of the line'],
  ])('rejects %j: %s', (line, reason) => {
    expect(parseSyslog5424(line, { receiveTime: RECEIVED })).toEqual({ ok: false, reason });
  });
});

describe('RFC 3164', () => {
  it('example 1: host and tag; the year comes from the receive time', () => {
    const mapped = record(parseSyslog3164(RFC3164_EX1, at('2025-11-02T00:00:00Z')));
    expect(mapped.format).toBe('syslog3164');
    expect(mapped.eventTime?.toISOString()).toBe('2025-10-11T22:14:15.000Z');
    expect(mapped.eventTimeText).toBe('Oct 11 22:14:15');
    expect(mapped.appliance.host).toBe('mymachine');
    expect(mapped.vendorFields['syslog.appName']).toBe('su');
    expect(mapped.message).toBe("'su root' failed for lonvick on /dev/pts/8");
  });

  it('example 2: a host but no tag; without PRI and header it is not syslog', () => {
    const read = readSyslog3164(
      '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
      at('2025-02-06T00:00:00Z'),
    );
    expect(read.ok && [read.syslog.hostname, read.syslog.appName, read.syslog.message]).toEqual([
      '10.0.0.99',
      null,
      'Use the BFG!',
    ]);
    expect(parseSyslog3164('Use the BFG!', { receiveTime: RECEIVED })).toEqual({
      ok: false,
      reason: 'neither a PRI nor a syslog time stamp',
    });
  });

  it('example 3: "CST 1987" belongs to the stamp, not the hostname', () => {
    const read = readSyslog3164(RFC3164_EX3, { receiveTime: RECEIVED });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.syslog.hostname).toBe('mymachine');
    expect(read.syslog.appName).toBe('myproc');
    expect(read.syslog.procId).toBe('10');
    expect(read.syslog.timestampText).toBe('Aug 24 05:34:00 CST 1987');
    // CST names three different zones, so the appliance's zone (here UTC) applies.
    expect(read.syslog.eventTime.toISOString()).toBe('1987-08-24T05:34:00.000Z');
  });

  it('example 4: a header the RFC calls invalid leaves everything after PRI as content', () => {
    const read = readSyslog3164(RFC3164_EX4, { receiveTime: RECEIVED });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.syslog.severity).toBe(0);
    expect(read.syslog.hostname).toBeNull();
    expect(read.syslog.message).toBe(RFC3164_EX4.slice(3));
    expect(read.syslog.eventTime).toEqual(RECEIVED);
    expect(read.syslog.warnings).toEqual(['timestamp_missing']);
  });

  it('PRI directly followed by CEF (DDI): the body is all message', () => {
    const line = '<158>CEF:0|Trend Micro|Deep Discovery Inspector|6.0.2026|1539|Name|3|src=1.2.3.4';
    const read = readSyslog3164(line, { receiveTime: RECEIVED });
    expect(read.ok && read.syslog.message).toBe(line.slice(5));
  });

  it.each([
    [
      'May 15 16:00:47 localhost CEF:0|Trend Micro|DDEI|5.1|300999|SYSTEM_EVENT|3|rt=x',
      'localhost',
      null,
      'CEF:0|Trend Micro|DDEI|5.1|300999|SYSTEM_EVENT|3|rt=x',
    ],
    [
      'Oct 30, 2021 10:34:23 host.domain.com CEF:0|AO Kaspersky Lab|KWTS|6.1|E|n|Low|',
      'host.domain.com',
      null,
      'CEF:0|AO Kaspersky Lab|KWTS|6.1|E|n|Low|',
    ],
    [
      'July 16 10:34:23 host.domain.com KSMG: CEF:0|AO Kaspersky Lab|KSMG|2.1|E|n|severity|a=b',
      'host.domain.com',
      'KSMG',
      'CEF:0|AO Kaspersky Lab|KSMG|2.1|E|n|severity|a=b',
    ],
    ['<13>Jan 18 10:49:41 DDAN CEF:0|x|y|1|2|n|3|', 'DDAN', null, 'CEF:0|x|y|1|2|n|3|'],
    ['<13>Oct 11 22:14:15 su[42]: no hostname', null, 'su', 'no hostname'],
    ['<13>Oct 11 22:14:15 fe80::1 sshd[7]: v6 host', 'fe80::1', 'sshd', 'v6 host'],
    ['<13>Oct 11 22:14:15 src=1.2.3.4 dst=5.6.7.8', null, null, 'src=1.2.3.4 dst=5.6.7.8'],
    ['<13>2025-01-01T10:00:00.5+01:00 fw01 kernel: iso', 'fw01', 'kernel', 'iso'],
    [
      '<189>*Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured',
      null,
      '%SYS-5-CONFIG_I',
      'Configured',
    ],
  ])('reads %j', (line, hostname, tag, message) => {
    const read = readSyslog3164(line, at('2025-06-01T00:00:00Z'));
    expect(read.ok && [read.syslog.hostname, read.syslog.appName, read.syslog.message]).toEqual([
      hostname,
      tag,
      message,
    ]);
  });

  it('reads years and zones written into the stamp', () => {
    const cases: [string, string][] = [
      // No zone in the text: the appliance's (Tokyo, +09:00) applies.
      ['<13>Oct 30, 2021 10:34:23 h x', '2021-10-30T01:34:23.000Z'],
      ['<13>Oct 30 2021 10:34:23 h x', '2021-10-30T01:34:23.000Z'],
      ['<13>Jan  1 03:13:14.663 UTC: h x', '2025-01-01T03:13:14.663Z'],
      ['<13>Jan  1 03:13:14 +02:00 h x', '2025-01-01T01:13:14.000Z'],
      ['<13>2025-01-01T10:00:00.5+01:00 h x', '2025-01-01T09:00:00.500Z'],
    ];
    for (const [line, iso] of cases) {
      const mapped = record(
        parseSyslog3164(line, {
          receiveTime: new Date('2025-01-02T00:00:00Z'),
          timeZone: 'Asia/Tokyo',
        }),
      );
      expect([line, mapped.eventTime?.toISOString()]).toEqual([line, iso]);
    }
  });

  it('an unknown appliance zone falls back to UTC, flagged', () => {
    const mapped = record(
      parseSyslog3164('<13>Jan  1 03:00:00 h x', {
        receiveTime: new Date('2025-01-02T00:00:00Z'),
        timeZone: 'Mars/Olympus',
      }),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2025-01-01T03:00:00.000Z');
    expect(mapped.warnings).toEqual(['time_zone_unknown']);
  });

  it('parseSyslog picks the flavour from the version after PRI', () => {
    expect(record(parseSyslog(RFC5424_EX1, { receiveTime: RECEIVED })).format).toBe('syslog5424');
    expect(record(parseSyslog(RFC3164_EX1, { receiveTime: RECEIVED })).format).toBe('syslog3164');
  });
});

describe('C09: year-less stamps at New Year', () => {
  it('Dec 31 received just after midnight UTC belongs to the old year', () => {
    const mapped = record(
      parseSyslog3164('<13>Dec 31 23:59:58 ddi01 test: x', at('2026-01-01T00:00:03Z')),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2025-12-31T23:59:58.000Z');
    expect(mapped.warnings).toEqual([]);
  });

  it('Jan 1 from a sender 2 s fast belongs to the new year', () => {
    const mapped = record(
      parseSyslog3164('<13>Jan  1 00:00:01 ddi01 test: y', at('2025-12-31T23:59:59Z')),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2026-01-01T00:00:01.000Z');
  });

  it('Feb 29 with no leap year near: receive time kept, timestamp_invalid, no roll to Mar 1', () => {
    const mapped = record(
      parseSyslog3164('<134>Feb 29 14:07:19 ddi01 sshd: z', at('2027-03-01T00:00:00Z')),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(mapped.eventTimeText).toBe('Feb 29 14:07:19');
    expect(mapped.warnings).toEqual(['timestamp_invalid']);
    expect(mapped.message).toBe('z');
  });

  it('Feb 29 in the year after a leap day takes that leap year', () => {
    const mapped = record(parseSyslog3164('<134>Feb 29 14:07:19 h x', at('2028-03-01T00:00:00Z')));
    expect(mapped.eventTime?.toISOString()).toBe('2028-02-29T14:07:19.000Z');
  });

  it('the reference is the receive time passed in, so re-reading later gives the same year', () => {
    const line = '<13>Dec 31 23:59:58 ddi01 test: x';
    const first = record(parseSyslog3164(line, at('2026-01-01T00:00:03Z')));
    const again = record(parseSyslog3164(line, at('2026-01-01T00:00:03Z')));
    expect(again.eventTime).toEqual(first.eventTime);
  });
});

describe('C10: the appliance zone decides the year, whatever the collector TZ', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it.each(['UTC', 'Asia/Tokyo'])('with TZ=%s', (collectorTz) => {
    process.env.TZ = collectorTz;
    const mapped = record(
      parseSyslog3164('<13>Dec 31 20:00:00 ddi01 test: x', {
        receiveTime: new Date('2026-01-01T01:00:05Z'),
        timeZone: 'America/New_York',
      }),
    );
    expect(mapped.eventTime?.toISOString()).toBe('2026-01-01T01:00:00.000Z');
  });
});

describe('inferYear', () => {
  const stamp = (month: number, day: number, hour = 0) => ({
    month,
    day,
    hour,
    minute: 0,
    second: 0,
    millisecond: 0,
  });

  it('handles the December / January boundary both ways', () => {
    expect(inferYear(stamp(12, 31, 23), new Date('2026-01-01T00:10:00Z'), 'UTC')).toBe(2025);
    expect(inferYear(stamp(1, 1), new Date('2025-12-31T23:59:00Z'), 'UTC')).toBe(2026);
    expect(inferYear(stamp(1, 5), new Date('2025-12-31T23:59:00Z'), 'UTC')).toBe(2026);
    expect(inferYear(stamp(1, 9), new Date('2025-12-31T23:59:00Z'), 'UTC')).toBe(2025);
  });

  it('prefers the past: a file delayed by months keeps last year', () => {
    expect(inferYear(stamp(6, 20), new Date('2026-01-10T00:00:00Z'), 'UTC')).toBe(2025);
    expect(inferYear(stamp(1, 9), new Date('2026-01-10T00:00:00Z'), 'UTC')).toBe(2026);
  });

  it('chooses the year in the appliance zone', () => {
    // 1 Jan 2026 01:00 UTC is still 31 Dec 2025 in New York.
    const received = new Date('2026-01-01T01:00:05Z');
    expect(inferYear(stamp(12, 31, 20), received, 'America/New_York')).toBe(2025);
    expect(inferYear(stamp(1, 1, 9), received, 'Asia/Tokyo')).toBe(2026);
  });

  it('has no year for Feb 29 more than a year from any leap day', () => {
    expect(inferYear(stamp(2, 29), new Date('2027-03-01T00:00:00Z'), 'UTC')).toBeNull();
    expect(inferYear(stamp(2, 29), new Date('2029-02-28T00:00:00Z'), 'UTC')).toBe(2028);
  });
});

describe('zone conversion', () => {
  const wall = (hour: number, minute: number, day: number, month: number) => ({
    year: 2025,
    month,
    day,
    hour,
    minute,
    second: 0,
    millisecond: 0,
  });

  it('takes a repeated hour at its first occurrence and moves a skipped one forward', () => {
    expect(zonedTimeToUtc(wall(2, 30, 26, 10), 'Europe/Berlin')?.toISOString()).toBe(
      '2025-10-26T00:30:00.000Z',
    );
    expect(zonedTimeToUtc(wall(2, 30, 30, 3), 'Europe/Berlin')?.toISOString()).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(zonedTimeToUtc(wall(12, 0, 1, 7), 'Asia/Kolkata')?.toISOString()).toBe(
      '2025-07-01T06:30:00.000Z',
    );
    expect(zonedTimeToUtc(wall(12, 0, 1, 7), 'Nowhere/Land')).toBeNull();
  });
});

describe('skewSeconds', () => {
  it('is positive when the appliance clock runs ahead, negative when behind', () => {
    const received = new Date('2025-01-01T12:00:00Z');
    expect(skewSeconds(new Date('2025-01-01T12:00:30Z'), received)).toBe(30);
    expect(skewSeconds(new Date('2025-01-01T11:30:00Z'), received)).toBe(-1800);
  });
});

describe('syslog parser properties', () => {
  const adversarial = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '<13>',
            '<165>1 ',
            '2003-10-11T22:14:15.003Z ',
            'Feb 29 ',
            'Dec 31 23:59:59 ',
            '[x@1',
            ' a="',
            '\\',
            '"',
            ']',
            ' - ',
            'CEF:0|',
            'host ',
            'tag[1]: ',
          ),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join('')),
  );

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(adversarial, (line) => {
        for (const parse of [parseSyslog, parseSyslog3164, parseSyslog5424]) {
          const result = parse(line, { receiveTime: RECEIVED, timeZone: 'Europe/Berlin' });
          if (result.ok) expect(result.record.eventTime).toBeInstanceOf(Date);
          else expect(typeof result.reason).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('caps structured data at the vendor field limit, flagged', () => {
    const line = `<13>1 - - - - - [x@1${' a=""'.repeat(30_000)}] m`;
    const result = parseSyslog5424(line, { receiveTime: RECEIVED });
    expect(result.ok && result.record.warnings).toEqual(['timestamp_missing', 'too_many_fields']);
    expect(result.ok && retainedChars(result.record)).toBeLessThan(line.length);
  });

  describe.each([
    '<13>Oct 11 22:14:15 host tag: ',
    '<13>1 2025-01-01T00:00:00Z h a - - [x@1 a="',
    '<13>1 - - - - - [x@1',
    '',
  ])('on 100 KB hostile lines after %j', (head) => {
    it.each(adversarialTails(head))('$name: bounded time and memory', ({ line }) => {
      expectBoundedParse((text) => parseSyslog(text, { receiveTime: RECEIVED }), line);
    });
  });

  it('reads long hostile lines in linear time', () => {
    const lines = [
      `<13>1 - - - - - [x@1${' a="b"'.repeat(50_000)}`,
      `<13>1 - - - - - [x@1 a="${'\\'.repeat(200_000)}`,
      `<13>Oct 11 22:14:15 ${'a'.repeat(300_000)}`,
      `<13>Oct 11 22:14:15${' '.repeat(300_000)}x`,
      `<13>${'Oct 11 '.repeat(50_000)}`,
    ];
    const started = performance.now();
    for (const line of lines) parseSyslog(line, { receiveTime: RECEIVED });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
