import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseCef } from '../../../src/ingest/parsers/cef.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';

import { adversarialTails, expectBoundedParse } from './parser-bounds.js';

function parsed(line: string): NormalisedRecord {
  const result = parseCef(line);
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return result.record;
}

function fieldsOf(line: string): Record<string, string> {
  return { ...parsed(line).vendorFields };
}

/** A Deep Discovery Inspector detection as its CEF mapping guide lays one out (our values). */
const DDI_DETECTION =
  '<134>Mar 09 17:05:22 ddi01 CEF:0|Trend Micro|Deep Discovery Inspector|6.7.1181|100119|' +
  'Malware URL requested - Type 1|6|rt=Mar 09 2025 17:05:21 GMT+08:00 dvc=10.1.144.199 ' +
  'dvchost=ddi01 dvcmac=00:0C:29:6E:CB:F9 deviceExternalId=6B593E17AFB7-40FBBB28-A4CE-0462-A536 ' +
  'deviceDirection=1 app=HTTP proto=TCP src=172.16.1.197 spt=49152 smac=fe:ed:be:ef:5a:c6 ' +
  'shost=pc-042 suser=CORP\\\\alice dst=216.52.115.2 dpt=80 dmac=00:1b:21:35:8b:98 ' +
  'dhost=www.example.net act=not blocked request=http://www.example.net/s.doc?a\\=b&c\\=d ' +
  'fname=setting.doc fileType=Microsoft Word fsize=32768 ' +
  'fileHash=1EDD5B38DE4729545767088C5CAB395E4197C8F3 cn3Label=ThreatType cn3=1 ' +
  'flexNumber1Label=vLANId flexNumber1=4095 cs1Label=malName cs1=TROJ_GEN.R002C0 pComp=VSAPI ' +
  'ruleId=20 cs2Label=srcGroup cs2=Finance cs3Label=dstZone cs3=external';

describe('parseCef: handed cases', () => {
  it('C01: an unescaped = inside a value does not start a key; empty cs1 is kept', () => {
    const fields = fieldsOf(
      'CEF:0|FooBar|Web Gateway|1.2.3.45.67|200|Success|2|rt=Sep 07 2018 14:50:39 ' +
        "cat=Access Log dst=1.1.1.1 request='https://foo.example.com/bar/bingo/1' " +
        "requestClientApplication='Foo-Bar/2018.1.7; Email:user@example.com; Guid:test=' " +
        'cs1= cs1Label=Foo Bar',
    );

    expect(fields.requestClientApplication).toBe(
      "'Foo-Bar/2018.1.7; Email:user@example.com; Guid:test='",
    );
    expect(fields.cs1).toBe('');
    expect(fields.cs1Label).toBe('Foo Bar');
    expect(fields.cat).toBe('Access Log');
    expect(fields['Foo Bar']).toBe('');
  });

  it('C02: \\= is an escaped =, and creates no key', () => {
    const record = parsed(
      'CEF:0|security|threatmanager|1.0|100|detected a = in message|10|' +
        'src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
    );

    expect(record.name).toBe('detected a = in message');
    expect(record.action).toBe('blocked a =');
    expect({ ...record.vendorFields }).toEqual({
      src: '10.0.0.1',
      act: 'blocked a =',
      dst: '1.1.1.1',
    });
  });

  it('C04: base64 padding stays in its value and later fields survive', () => {
    const record = parsed(
      'CEF:0|MikroTik|RouterOS|7.1|wg|peer|3|pub=Zm9vYmFy= psk=YmF6cXV4= spt=6',
    );

    expect({ ...record.vendorFields }).toEqual({ pub: 'Zm9vYmFy=', psk: 'YmF6cXV4=', spt: '6' });
    expect(record.source.port).toBe(6);
    expect(record.warnings).toEqual([]);
  });

  it('C04: a URL with an unescaped query is kept whole', () => {
    const record = parsed(
      'CEF:0|Trend Micro|Deep Discovery Inspector|6.7|100119|Malware URL|6|' +
        'request=http://evil.example/x?a=b&c=d&e= dst=10.0.0.5',
    );

    expect(record.url).toBe('http://evil.example/x?a=b&c=d&e=');
    expect(record.destination.ip).toBe('10.0.0.5');
  });

  it('C04: a non-compliant extension keeps the header and is flagged, not dropped', () => {
    const result = parseCef(
      'CEF:0|security|threatmanager|1.0|100|trojan successfully stopped|10|this has no pairs',
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.name).toBe('trojan successfully stopped');
    expect(result.record.severity.level).toBe(10);
    expect(result.record.warnings).toEqual(['text_without_key']);
  });

  it('C14: a line cut at 8 KiB keeps every field that ended before the cut', () => {
    const longUrl = `http://cdn.example.com/${'a'.repeat(7_800)}`;
    const customs = Array.from({ length: 20 }, (_, n) => `cs${n + 1}Label=l${n} cs${n + 1}=v${n}`);
    const line = `${DDI_DETECTION} request=${longUrl} ${customs.join(' ')}`;
    expect(line.length).toBeGreaterThan(8_192);

    const record = parsed(line.slice(0, 8_192));

    expect(record.detectionName).toBe('TROJ_GEN.R002C0');
    expect(record.appliance.guid).toBe('6B593E17AFB7-40FBBB28-A4CE-0462-A536');
    expect(record.url?.startsWith('http://cdn.example.com/aaa')).toBe(true);
    expect(record.vendorFields.cs20).toBeUndefined();
  });
});

describe('parseCef: Trend Micro Deep Discovery fields', () => {
  it('maps a DDI detection onto the record', () => {
    const record = parsed(DDI_DETECTION);

    expect(record).toMatchObject({
      format: 'cef',
      eventTime: new Date('2025-03-09T09:05:21Z'),
      eventTimeText: 'Mar 09 2025 17:05:21 GMT+08:00',
      vlan: 4095,
      detectionName: 'TROJ_GEN.R002C0',
      engine: 'VSAPI',
      direction: 'outbound',
      threatType: '1',
      severity: { level: 6, original: '6' },
      protocol: 'HTTP',
      ruleId: '20',
      action: 'not blocked',
      url: 'http://www.example.net/s.doc?a=b&c=d',
      vendor: 'Trend Micro',
      product: 'Deep Discovery Inspector',
      version: '6.7.1181',
      eventClassId: '100119',
      name: 'Malware URL requested - Type 1',
      warnings: [],
    });
    expect(record.source).toEqual({
      host: 'pc-042',
      ip: '172.16.1.197',
      port: 49152,
      mac: 'fe:ed:be:ef:5a:c6',
      group: 'Finance',
      zone: null,
      account: 'CORP\\alice',
    });
    expect(record.destination).toMatchObject({ ip: '216.52.115.2', port: 80, zone: 'external' });
    expect(record.file).toEqual({
      name: 'setting.doc',
      type: 'Microsoft Word',
      size: 32768,
      sha1: '1EDD5B38DE4729545767088C5CAB395E4197C8F3',
      sha256: null,
      md5: null,
    });
    expect(record.appliance).toEqual({
      guid: '6B593E17AFB7-40FBBB28-A4CE-0462-A536',
      host: 'ddi01',
      ip: '10.1.144.199',
    });
  });

  it('keeps every original key and adds each custom field under its label', () => {
    const fields = parsed(DDI_DETECTION).vendorFields;

    expect(fields.cn3).toBe('1');
    expect(fields.cn3Label).toBe('ThreatType');
    expect(fields.ThreatType).toBe('1');
    expect(fields.vLANId).toBe('4095');
    expect(fields.dvcmac).toBe('00:0C:29:6E:CB:F9');
  });

  it('reads a label written after its value, and tells an MD5 fileHash by its length', () => {
    const record = parsed(
      'CEF:0|ReversingLabs|N1000|1.0.0.0|detection|Threat detection|0|deviceDirection=0 ' +
        'proto=tcp app=HTTP spt=8080 cs3=CERTIFICATE cs2=Win32.Certificate.Invalid ' +
        'cs2Label=detectionName cs3Label=detectionReason ' +
        'start=2016-01-01 01:01:01.0+00:00 fileHash=01010101010101010101010101010101',
    );

    expect(record.detectionName).toBe('Win32.Certificate.Invalid');
    expect(record.reason).toBe('CERTIFICATE');
    expect(record.direction).toBe('inbound');
    expect(record.file.md5).toBe('01010101010101010101010101010101');
    expect(record.file.sha1).toBeNull();
    expect(record.eventTime).toEqual(new Date('2016-01-01T01:01:01Z'));
  });

  it('reads suser and duser as sender and recipients in mail events', () => {
    const record = parsed(
      'CEF:0|Trend Micro|Deep Discovery Email Inspector|5.1.0.1288|100131|ATTACHMENT_DETECTION|8|' +
        'rt=Mar 23 2025 14:04:46 GMT+00:00 suser=sender@example.com ' +
        'duser=alice@example.org;bob@example.org cs1Label=threats cs1=TROJ_UP.258A1A7D ' +
        'cs3Label=mailMsgSubject cs3=Your invoice fname=invoice.zip',
    );

    expect(record.mail).toEqual({
      sender: 'sender@example.com',
      recipient: 'alice@example.org;bob@example.org',
      subject: 'Your invoice',
    });
    expect(record.source.account).toBeNull();
    expect(record.detectionName).toBe('TROJ_UP.258A1A7D');
  });

  it('never lets a custom label replace a key the line has', () => {
    const record = parsed('CEF:0|v|p|1|id|n|5|act=blocked cs1Label=act cs1=allowed');

    expect(record.action).toBe('blocked');
    expect(record.vendorFields.cs1).toBe('allowed');
    expect(record.warnings).toEqual(['custom_label_collides']);
  });
});

describe('parseCef: header and escapes', () => {
  it.each([
    ['CEF:0|security\\\\\\||threatmanager\\\\|1.0|100|n|10|', 'security\\|', 'threatmanager\\'],
    ['CEF:0|secu\\|rity|threat=manager|1.0|100|n|10|', 'secu|rity', 'threat=manager'],
    ['CEF:0|||1.0|100|n|10|src=10.0.0.192', '', ''],
  ])('reads the escaped header %s', (line, vendor, product) => {
    expect(parsed(line)).toMatchObject({ vendor, product });
  });

  it('keeps a raw | in values and the backslash of a \\| there', () => {
    expect(fieldsOf('CEF:0|s|t|1.0|100|n|10|moo=this|has a pipe')).toEqual({
      moo: 'this|has a pipe',
    });
    expect(fieldsOf('CEF:0|s|t|1.0|100|n|10|moo=this\\|has')).toEqual({ moo: 'this\\|has' });
  });

  it('decodes \\= \\n \\r \\\\ in values and keeps lone backslashes as written', () => {
    const fields = fieldsOf(
      'CEF:0|s|t|1.0|100|n|10|msg=a \\= b \\n c \\r d \\\\ e duser=NTAUTHORITY\\SYSTEM end=x\\',
    );

    expect(fields).toEqual({
      msg: 'a = b \n c \r d \\ e',
      duser: 'NTAUTHORITY\\SYSTEM',
      end: 'x\\',
    });
  });

  it('reads keys with dots, commas and brackets, values with spaces, and extra spaces', () => {
    const fields = fieldsOf(
      'CEF:0|s|t|1.0|100|n|10|  src=10.0.0.192  ad.Error_,Code=3221225578 ad.field[0]=f0 ' +
        'dproc=InternetExplorer x.x.x.x',
    );

    expect(fields).toEqual({
      src: '10.0.0.192',
      'ad.Error_,Code': '3221225578',
      'ad.field[0]': 'f0',
      dproc: 'InternetExplorer x.x.x.x',
    });
  });

  it('keeps UTF-8 text, replacement characters and lone surrogates in values', () => {
    const fields = fieldsOf(
      'CEF:0|s|t|1.0|100|n|10|target=aaaaaああああaaaa msg=bad \uFFFD byte half=\uD800',
    );

    expect(fields).toEqual({
      target: 'aaaaaああああaaaa',
      msg: 'bad \uFFFD byte',
      half: '\uD800',
    });
  });

  it('keeps keys such as __proto__ as ordinary fields', () => {
    const record = parsed('CEF:0|s|t|1|1|n|1|__proto__=x constructor=y cs1=z cs1Label=__proto__');

    expect(Object.keys(record.vendorFields)).toEqual([
      '__proto__',
      'constructor',
      'cs1',
      'cs1Label',
    ]);
    expect(record.vendorFields.__proto__).toBe('x');
    expect(record.warnings).toEqual(['custom_label_collides']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('flags raw line breaks and a duplicated key, keeping the last value', () => {
    const record = parsed('CEF:0|s|t|1|1|n|1|a=1 a=2\nCEF:0|s|t|1|1|n|1|b=3\r\n');

    expect(record.vendorFields.a).toBe('2\nCEF:0|s|t|1|1|n|1|b=3');
    expect(record.warnings).toEqual(['raw_line_break', 'duplicate_key']);
  });

  it.each([
    ['this is not cef', 'not CEF: no "CEF:" marker'],
    ['a|b|c with several \\| escaped\\| pipes|d|bananas', 'not CEF: no "CEF:" marker'],
    ['CEF:0|vendor|product|1.0|100|name', 'CEF header has fewer than 7 fields'],
    ['CEF:zero|v|p|1|id|n|5|a=b', 'CEF version is not a number'],
    ['xCEF:0|v|p|1|id|n|5|a=b', 'not CEF: no "CEF:" marker'],
  ])('rejects %j', (line, reason) => {
    expect(parseCef(line)).toEqual({ ok: false, reason });
  });
});

describe('parseCef: syslog headers before CEF:', () => {
  it.each([
    ['<158>CEF:0|Trend Micro|Deep Discovery Inspector|6.0|1539|x|8|src=1.2.3.4', null],
    ['Sep 19 08:26:10 server3.mycorp.local CEF:0|v|p|1|801|n|5| dst=10.0.0.1', 'Sep 19 08:26:10'],
    ['July 16 10:34:23 host.domain.com KSMG: CEF:0|v|p|1|id|n|severity|act=x', 'July 16 10:34:23'],
    [
      '<13>1 2025-12-31T23:59:58.1Z ddi01 app - - - CEF:0|v|p|1|id|n|5|a=b',
      '2025-12-31T23:59:58.1Z',
    ],
    ['Syslogdate Sysloghost CEF:0|v|p|1|id|n|5|a=b', null],
  ])('finds the payload in %j and the header time when the payload has none', (line, text) => {
    expect(parsed(line).eventTimeText).toBe(text);
  });

  it('uses rt and dtz from the payload of a nested syslog line', () => {
    const record = parsed(
      'Mar 1 20:48:22 gke-node-sw0m 4465 <14>1 2021-03-01T20:48:22.900Z stream-logfwd20 ' +
        'logforwarder - panwlogs - CEF:0|Palo Alto Networks|LF|2.0|THREAT|spyware|1|' +
        'dtz=UTC rt=Mar 01 2021 20:48:21 PanOSDestinationDeviceClass= duid=',
    );

    expect(record.vendor).toBe('Palo Alto Networks');
    expect(record.eventTime).toEqual(new Date('2021-03-01T20:48:21Z'));
    expect(record.vendorFields.PanOSDestinationDeviceClass).toBe('');
  });
});

describe('parseCef: severity and time', () => {
  it.each([
    ['0', 0],
    ['10', 10],
    ['Low', 3],
    ['Medium', 6],
    ['High', 8],
    ['Very-High', 10],
    ['Unknown', null],
    ['severity', null],
    ['11', null],
    ['\\\\10', null],
  ])('reads severity %j as %j and keeps the original', (text, level) => {
    const record = parsed(`CEF:0|v|p|1|id|n|${text}|a=b`);

    expect(record.severity.level).toBe(level);
    expect(record.severity.original).toBe(text.replace('\\\\', '\\'));
  });

  it.each([
    ['rt=1593761104000', '2020-07-03T07:25:04.000Z'],
    ['rt=Nov 07 2017 10:05:58 GMT+00:00', '2017-11-07T10:05:58.000Z'],
    ['rt=Mar 11 2015 05:00:26 GMT-04:00', '2015-03-11T09:00:26.000Z'],
    ['rt=Jul 19 2017 10:50:21.127 atz=Europe/Lisbon dtz=Europe/Moscow', '2017-07-19T07:50:21.127Z'],
    ['start=2016-01-01 01:01:01.0+00:00', '2016-01-01T01:01:01.000Z'],
  ])('reads %s as an instant from the line alone', (extension, iso) => {
    expect(parsed(`CEF:0|v|p|1|id|n|5|${extension}`).eventTime?.toISOString()).toBe(iso);
  });

  it('leaves a stamp without zone or year to ingestion, keeping its text', () => {
    const record = parsed('CEF:0|v|p|1|id|n|5|rt=Sep 07 2018 14:50:39');

    expect(record.eventTime).toBeNull();
    expect(record.eventTimeText).toBe('Sep 07 2018 14:50:39');
    expect(record.warnings).toEqual([]);
  });

  it('never turns an empty or unreadable stamp into epoch 0 or now', () => {
    const empty = parsed('CEF:0|v|p|1|id|n|5|msg=Worm stopped start=');
    const garbled = parsed('CEF:0|v|p|1|id|n|5|rt=1593761104000 cs2La');

    expect(empty.eventTime).toBeNull();
    expect(empty.eventTimeText).toBeNull();
    expect(garbled.eventTime).toBeNull();
    expect(garbled.warnings).toEqual(['timestamp_invalid']);
  });
});

describe('parseCef: hostile input', () => {
  const cefLike = fc.string({
    unit: fc.constantFrom('CEF:0|', '|', '\\', '=', ' ', 'a', 'cs1', 'Label', 'rt', '\n', '\t'),
    maxLength: 200,
  });

  it('never throws, on any text or on text shaped like CEF', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), cefLike), (line) => {
        const result = parseCef(line);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it.each(adversarialTails('CEF:0|v|p|1|id|n|5|'))(
    'parses a 100 KB line of $name quickly and keeps no more than the line',
    ({ line }) => {
      expectBoundedParse(parseCef, line);
    },
  );

  it('keeps no more than the line for any CEF-shaped line', () => {
    fc.assert(
      fc.property(cefLike, (tail) => expectBoundedParse(parseCef, `CEF:0|v|p|1|id|n|5|${tail}`)),
      { numRuns: 1000 },
    );
  });
});
