import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { normaliseName } from '../../../src/ingest/parsers/common-field-names.js';
import { severityLevel } from '../../../src/ingest/parsers/common-fields.js';
import { readKeyValuePairs } from '../../../src/ingest/parsers/key-value-pairs.js';
import { parseKeyValue } from '../../../src/ingest/parsers/key-value.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';
import { MAX_VENDOR_FIELDS } from '../../../src/ingest/parsers/vendor-fields.js';

import { adversarialTails, expectBoundedParse } from './parser-bounds.js';

const context = { receiveTime: new Date('2025-06-01T12:00:00Z') };

function parsed(line: string, options: { timeZone?: string } = {}): NormalisedRecord {
  const result = parseKeyValue(line, { ...context, ...options });
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.record;
}

const fieldsOf = (record: NormalisedRecord) => ({ ...record.vendorFields });

describe('key=value splitting', () => {
  it('C01: an = inside a quoted value does not start a key; empty values stay', () => {
    const line =
      "rt=Sep 07 2018 14:50:39 cat=Access Log dst=1.1.1.1 request='https://foo.example.com/bar/bingo/1' requestClientApplication='Foo-Bar/2018.1.7; Email:user@example.com; Guid:test=' cs1= cs1Label=Foo Bar";
    const record = parsed(line);
    expect(fieldsOf(record)).toEqual({
      rt: 'Sep 07 2018 14:50:39',
      cat: 'Access Log',
      dst: '1.1.1.1',
      request: 'https://foo.example.com/bar/bingo/1',
      requestClientApplication: 'Foo-Bar/2018.1.7; Email:user@example.com; Guid:test=',
      cs1: '',
      cs1Label: 'Foo Bar',
    });
    expect(record.destination.ip).toBe('1.1.1.1');
    expect(record.url).toBe('https://foo.example.com/bar/bingo/1');
    expect(record.eventTime?.toISOString()).toBe('2018-09-07T14:50:39.000Z');
  });

  it('C01: unquoted, text that is not key-shaped stays in the value', () => {
    const { pairs } = readKeyValuePairs(
      'app=Foo-Bar/2018.1.7; Email:user@example.com; Guid:test= next=1',
    );
    expect(pairs).toEqual([
      { key: 'app', value: 'Foo-Bar/2018.1.7; Email:user@example.com; Guid:test=' },
      { key: 'next', value: '1' },
    ]);
  });

  it('C02: \\= is an escaped equals sign, and no junk key appears', () => {
    const record = parsed('src=10.0.0.1 act=blocked a \\= dst=1.1.1.1');
    expect(fieldsOf(record)).toEqual({ src: '10.0.0.1', act: 'blocked a =', dst: '1.1.1.1' });
    expect(record.action).toBe('blocked a =');
  });

  it('C04: base64 padding and URL queries keep their = signs', () => {
    expect(fieldsOf(parsed('pub=Zm9vYmFy= psk=YmF6cXV4= spt=6'))).toEqual({
      pub: 'Zm9vYmFy=',
      psk: 'YmF6cXV4=',
      spt: '6',
    });
    const record = parsed('request=http://evil.example/x?a=b&c=d dst=10.0.0.5');
    expect(record.url).toBe('http://evil.example/x?a=b&c=d');
    expect(record.destination.ip).toBe('10.0.0.5');
  });

  it('keeps every value of a repeated key', () => {
    expect(fieldsOf(parsed('tag=a tag=b other=x tag=c'))).toEqual({
      tag: 'a',
      'tag#2': 'b',
      other: 'x',
      'tag#3': 'c',
    });
  });

  it('unquotes double- and single-quoted values with their escapes', () => {
    const record = parsed(
      String.raw`msg="hello world" user='bob smith' note="say \"hi\"" path="C:\dir\x" q=""`,
    );
    expect(fieldsOf(record)).toEqual({
      msg: 'hello world',
      user: 'bob smith',
      note: 'say "hi"',
      path: String.raw`C:\dir\x`,
      q: '',
    });
    expect(record.message).toBe('hello world');
    expect(record.source.account).toBe('bob smith');
  });

  it('an unterminated quote runs to the next key, quote kept', () => {
    expect(fieldsOf(parsed('msg="hello world dst=1.2.3.4'))).toEqual({
      msg: '"hello world',
      dst: '1.2.3.4',
    });
  });

  it('a quote closing only before whitespace lets quotes sit inside values', () => {
    expect(fieldsOf(parsed(`a="x"y" b=1`))).toEqual({ a: 'x"y', b: '1' });
  });

  it('free text before the first key is the message; tabs separate too', () => {
    const record = parsed(
      'kernel: IN=eth0\tOUT= SRC=192.0.2.1 DST=198.51.100.2 PROTO=TCP SPT=1 DPT=22',
    );
    expect(record.message).toBe('kernel:');
    expect(record.vendorFields.OUT).toBe('');
    expect(record.source).toMatchObject({ ip: '192.0.2.1', port: 1 });
    expect(record.destination).toMatchObject({ ip: '198.51.100.2', port: 22 });
    expect(record.protocol).toBe('TCP');
  });

  it('rejects a line without any pair', () => {
    expect(parseKeyValue('just some words', context)).toEqual({
      ok: false,
      reason: 'no key=value pairs',
    });
    expect(parseKeyValue('', context).ok).toBe(false);
  });

  it('a key like __proto__ stays an ordinary field', () => {
    const record = parsed('__proto__=x constructor=y');
    expect(record.vendorFields.__proto__).toBe('x');
    expect(Object.keys(record.vendorFields)).toEqual(['__proto__', 'constructor']);
  });
});

describe('common field names', () => {
  it('maps a Fortinet traffic line', () => {
    const line =
      'date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" dstip=23.59.154.35 dstport=80 proto=6 action="close" policyid=1 service="HTTP" devname="FG100D" user="bob" srcmac=00:11:22:33:44:55';
    const record = parsed(line);
    expect(record.format).toBe('kv');
    expect(record.source).toMatchObject({
      ip: '10.1.100.11',
      port: 58012,
      account: 'bob',
      mac: '00:11:22:33:44:55',
    });
    expect(record.destination).toMatchObject({ ip: '23.59.154.35', port: 80 });
    expect(record.protocol).toBe('6');
    expect(record.action).toBe('close');
    expect(record.ruleId).toBe('1');
    expect(record.severity).toEqual({ level: 3, original: 'notice' });
    expect(record.appliance.host).toBe('FG100D');
    // eventtime is epoch nanoseconds: it names the instant whatever the appliance zone.
    expect(record.eventTime?.toISOString()).toBe('2019-05-10T18:37:47.369Z');
    expect(record.eventTimeText).toBe('1557513467369913239');
  });

  it('joins date= and time= in tz= or the appliance zone', () => {
    const withTz = parsed('date=2019-05-10 time=11:37:47 tz="-0700" src=1.2.3.4');
    expect(withTz.eventTime?.toISOString()).toBe('2019-05-10T18:37:47.000Z');
    const zoned = parsed('date=2019-05-10 time=11:37:47 src=1.2.3.4', {
      timeZone: 'America/Los_Angeles',
    });
    expect(zoned.eventTime?.toISOString()).toBe('2019-05-10T18:37:47.000Z');
  });

  it('keeps an unreadable time as text, flagged, with the receive time standing in', () => {
    const record = parsed('timestamp=yesterday src=1.2.3.4');
    expect(record.eventTime).toEqual(context.receiveTime);
    expect(record.eventTimeText).toBe('yesterday');
    expect(record.warnings).toEqual(['timestamp_invalid']);
  });

  it('reads name spellings alike and puts a name given for an address into host', () => {
    const record = parsed(
      'src_ip=fw.example.com Dst-Port=443 source.port=1234 threat_name=EICAR severity=High vlan=12 fileHash=abc dvc=192.0.2.9',
    );
    expect(record.source.host).toBe('fw.example.com');
    expect(record.source.ip).toBeNull();
    expect(record.source.port).toBe(1234);
    expect(record.destination.port).toBe(443);
    expect(record.detectionName).toBe('EICAR');
    expect(record.severity).toEqual({ level: 8, original: 'High' });
    expect(record.vlan).toBe(12);
    expect(record.file.sha256).toBe('abc');
    expect(record.appliance.ip).toBe('192.0.2.9');
  });

  it('leaves the event time null when the line has no time field', () => {
    const record = parsed('src=1.2.3.4');
    expect(record.eventTime).toBeNull();
    expect(record.warnings).toEqual([]);
  });

  it('ignores ports that are no ports', () => {
    expect(parsed('sport=99999 dport=http').source.port).toBeNull();
    expect(parsed('sport=99999 dport=http').destination.port).toBeNull();
  });

  it('normalises names and severities', () => {
    expect(normaliseName('Source.IP')).toBe('sourceip');
    expect(normaliseName('@timestamp')).toBe('timestamp');
    expect(severityLevel('7')).toBe(7);
    expect(severityLevel('11')).toBeNull();
    expect(severityLevel('Critical')).toBe(8);
    expect(severityLevel('whatever')).toBeNull();
  });
});

describe('key=value properties', () => {
  const hostile = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom('a=', ' ', '"', "'", '\\', '=', 'b c', '\t'),
          fc.string({ maxLength: 5 }),
        ),
        {
          maxLength: 60,
        },
      )
      .map((parts) => parts.join('')),
  );

  it('never throws and loses no pair text', () => {
    fc.assert(
      fc.property(hostile, (line) => {
        const result = parseKeyValue(line, context);
        if (result.ok) expect(Object.keys(result.record.vendorFields).length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps at most the vendor field limit, flagged', () => {
    const record = parsed('a= '.repeat(30_000));
    expect(Object.keys(record.vendorFields)).toHaveLength(MAX_VENDOR_FIELDS);
    expect(record.vendorFields[`a#${MAX_VENDOR_FIELDS}`]).toBe('');
    expect(record.warnings).toEqual(['too_many_fields']);
  });

  describe.each(['', 'a=', 'msg="', "msg='x "])('on 100 KB hostile lines after %j', (head) => {
    it.each(adversarialTails(head))('$name: bounded time and memory', ({ line }) => {
      expectBoundedParse((text) => parseKeyValue(text, context), line);
    });
  });

  it('reads long hostile lines in linear time', () => {
    const lines = [
      'a='.repeat(100_000),
      `a="${'x '.repeat(100_000)}`,
      'a="x '.repeat(50_000),
      "a='x \\' ".repeat(50_000),
      ` ${'word '.repeat(100_000)}`,
      `k=${'\\='.repeat(100_000)}`,
      `${'a'.repeat(200_000)} b=1`,
    ];
    const started = performance.now();
    for (const line of lines) parseKeyValue(line, context);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
