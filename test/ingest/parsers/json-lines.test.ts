import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_JSON_LIMITS,
  TOO_DEEP_MARKER,
  flattenJson,
  parseJsonLine,
} from '../../../src/ingest/parsers/json-lines.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';

import { adversarialTails, expectBoundedParse } from './parser-bounds.js';

const context = { receiveTime: new Date('2025-06-01T12:00:00Z') };

function parsed(line: string): NormalisedRecord {
  const result = parseJsonLine(line, context);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.record;
}

// Shaped like the Suricata EVE examples in Suricata's documentation (eve-json-format).
const EVE_ALERT = JSON.stringify({
  timestamp: '2009-11-24T21:27:09.534255+0100',
  flow_id: 1234567890123456,
  in_iface: 'eth0',
  event_type: 'alert',
  vlan: [110],
  src_ip: '192.168.2.7',
  src_port: 1041,
  dest_ip: '198.51.100.10',
  dest_port: 80,
  proto: 'TCP',
  app_proto: 'http',
  direction: 'to_server',
  host: 'sensor01',
  alert: {
    action: 'allowed',
    gid: 1,
    signature_id: 2001999,
    rev: 9,
    signature: 'ET MALWARE BTGrab.com Spyware Downloading Ads',
    category: 'A Network Trojan was detected',
    severity: 1,
  },
  http: { hostname: 'www.btgrab.com', url: '/ads/show.php?id=1', http_method: 'GET', status: 200 },
});

describe('Suricata EVE', () => {
  it('maps an alert', () => {
    const record = parsed(EVE_ALERT);
    expect(record.format).toBe('json');
    expect(record.vendor).toBe('OISF');
    expect(record.product).toBe('Suricata');
    expect(record.eventClassId).toBe('alert');
    expect(record.eventTime?.toISOString()).toBe('2009-11-24T20:27:09.534Z');
    expect(record.eventTimeText).toBe('2009-11-24T21:27:09.534255+0100');
    expect(record.detectionName).toBe('ET MALWARE BTGrab.com Spyware Downloading Ads');
    expect(record.name).toBe(record.detectionName);
    expect(record.ruleId).toBe('2001999');
    expect(record.threatType).toBe('A Network Trojan was detected');
    expect(record.detectionType).toBe('known');
    expect(record.severity).toEqual({ level: 8, original: '1' });
    expect(record.action).toBe('allowed');
    expect(record.source).toMatchObject({ ip: '192.168.2.7', port: 1041 });
    expect(record.destination).toMatchObject({
      ip: '198.51.100.10',
      port: 80,
      host: 'www.btgrab.com',
    });
    expect(record.protocol).toBe('HTTP');
    expect(record.direction).toBe('to_server');
    expect(record.vlan).toBe(110);
    expect(record.url).toBe('http://www.btgrab.com/ads/show.php?id=1');
    expect(record.appliance.host).toBe('sensor01');
    expect(record.vendorFields['alert.signature_id']).toBe('2001999');
    expect(record.vendorFields['http.http_method']).toBe('GET');
    expect(record.vendorFields['vlan.0']).toBe('110');
  });

  it('alert severities 1 to 4 map to 8, 6, 4, 2', () => {
    const levels = [1, 2, 3, 4].map((severity) => {
      const eve = JSON.parse(EVE_ALERT);
      eve.alert.severity = severity;
      return parsed(JSON.stringify(eve)).severity.level;
    });
    expect(levels).toEqual([8, 6, 4, 2]);
  });

  it('maps dns, flow and fileinfo events without making them detections', () => {
    const dns = parsed(
      '{"timestamp":"2024-05-01T10:00:00.000000+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.2","src_port":5353,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"example.com","rrtype":"A"}}',
    );
    expect(dns.eventClassId).toBe('dns');
    expect(dns.detectionType).toBeNull();
    expect(dns.detectionName).toBeNull();
    expect(dns.protocol).toBe('UDP');
    expect(dns.vendorFields['dns.rrname']).toBe('example.com');
    const file = parsed(
      '{"timestamp":"2024-05-01T10:00:00Z","flow_id":2,"event_type":"fileinfo","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","app_proto":"failed","proto":"TCP","fileinfo":{"filename":"/a.exe","size":1234,"sha256":"ab"}}',
    );
    expect(file.file).toMatchObject({ name: '/a.exe', size: 1234, sha256: 'ab' });
    expect(file.protocol).toBe('TCP');
  });
});

describe('generic JSON objects', () => {
  it('are flattened with dotted keys and mapped by common names (ECS too)', () => {
    const record = parsed(
      JSON.stringify({
        '@timestamp': '2025-03-01T10:00:00Z',
        source: { ip: '10.1.1.1', port: 4444 },
        destination: { ip: '10.2.2.2', port: 443 },
        event: { action: 'deny', severity: 7 },
        user: { name: 'alice' },
        url: { full: 'https://example.com/x' },
        tags: ['a', 'b'],
        empty: {},
        none: [],
        nothing: null,
        flag: true,
        message: 'blocked',
      }),
    );
    expect({ ...record.vendorFields }).toEqual({
      '@timestamp': '2025-03-01T10:00:00Z',
      'source.ip': '10.1.1.1',
      'source.port': '4444',
      'destination.ip': '10.2.2.2',
      'destination.port': '443',
      'event.action': 'deny',
      'event.severity': '7',
      'user.name': 'alice',
      'url.full': 'https://example.com/x',
      'tags.0': 'a',
      'tags.1': 'b',
      empty: '{}',
      none: '[]',
      nothing: 'null',
      flag: 'true',
      message: 'blocked',
    });
    expect(record.eventTime?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(record.source).toMatchObject({ ip: '10.1.1.1', port: 4444, account: 'alice' });
    expect(record.destination).toMatchObject({ ip: '10.2.2.2', port: 443 });
    expect(record.action).toBe('deny');
    expect(record.severity).toEqual({ level: 7, original: '7' });
    expect(record.url).toBe('https://example.com/x');
    expect(record.message).toBe('blocked');
    expect(record.vendor).toBeNull();
  });

  it('keeps a literal dotted key and a nested one that collide', () => {
    const record = parsed('{"a.b":"literal","a":{"b":"nested"}}');
    expect({ ...record.vendorFields }).toEqual({ 'a.b': 'literal', 'a.b#2': 'nested' });
  });

  it('keeps __proto__ as an ordinary key', () => {
    const record = parsed('{"__proto__":{"polluted":"yes"}}');
    expect(record.vendorFields['__proto__.polluted']).toBe('yes');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['[1,2]', 'not a JSON object'],
    ['"text"', 'not a JSON object'],
    ['plain text', 'not a JSON object'],
    ['{"a":', 'invalid JSON'],
    ['{"a":1}x', 'invalid JSON'],
  ])('rejects %j', (line, reason) => {
    const result = parseJsonLine(line, context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.startsWith(reason)).toBe(true);
  });
});

describe('JSON bounds', () => {
  it('does not walk deeper than the depth limit', () => {
    const depth = 100_000;
    const line = `{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
    const record = parsed(line);
    const key = `a${'.0'.repeat(DEFAULT_JSON_LIMITS.maxDepth - 1)}`;
    expect(record.vendorFields[key]).toBe(TOO_DEEP_MARKER);
    expect(Object.keys(record.vendorFields)).toHaveLength(1);
    expect(record.warnings).toEqual(['json_too_deep']);
  });

  it('stops after the field limit', () => {
    const object = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const { fields, warnings } = flattenJson(object, { ...DEFAULT_JSON_LIMITS, maxFields: 100 });
    expect(Object.keys(fields)).toHaveLength(100);
    expect(warnings).toEqual(['too_many_fields']);
  });

  it('refuses a line longer than the size limit', () => {
    const line = JSON.stringify({ a: 'x'.repeat(100) });
    const result = parseJsonLine(line, context, { ...DEFAULT_JSON_LIMITS, maxLength: 50 });
    expect(result).toEqual({ ok: false, reason: 'JSON line longer than 50 characters' });
  });

  describe.each(['{"a":"', '{"', '{"a":[', ''])('on 100 KB hostile lines after %j', (head) => {
    it.each(adversarialTails(head))('$name: bounded time and memory', ({ line }) => {
      expectBoundedParse((text) => parseJsonLine(text, context), line);
    });
  });

  it('a wide or deeply nested object just under the size limit stays bounded', () => {
    const wide = `{${Array.from({ length: 40_000 }, (_, i) => `"k${i}":[{"v":${i}}]`).join(',')}}`;
    const deep = `{"a":${'{"b":'.repeat(150_000)}1${'}'.repeat(150_000)}}`;
    for (const line of [wide, deep]) {
      expect(line.length).toBeLessThan(DEFAULT_JSON_LIMITS.maxLength);
      expect(parseJsonLine(line, context).ok).toBe(true);
      expectBoundedParse((text) => parseJsonLine(text, context), line);
    }
  });

  it('never throws, whatever the line', () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 6 }),
      fc
        .array(fc.constantFrom('{', '}', '[', ']', '"a":', '"', ',', '1', 'null', '\\'), {
          maxLength: 80,
        })
        .map((parts) => `{${parts.join('')}`),
    );
    fc.assert(
      fc.property(hostile, (line) => {
        const result = parseJsonLine(line, context);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
