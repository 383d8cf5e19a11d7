import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { inProcessStatus, ticketOf, type InProcessStatus } from './in-process.js';
import { newGuid, ocsEvent } from './ocs-support.js';

const GUID = newGuid();

const validOcs = () => ({
  guid: GUID,
  events: [ocsEvent(), ocsEvent({ sourceIp: '2001:db8::5' })],
});
const validNetwork = () => ({
  guid: GUID,
  monitoredNetworks: [{ name: 'HQ', trust: 'trusted', ranges: ['10.0.0.0/8'] }],
  registeredDomains: ['acme.example'],
  registeredServices: [{ kind: 'dns', address: '10.0.0.53', port: 53 }],
});

/** A valid body with one field, at any depth, replaced by any JSON value. */
function mutated(valid: () => object): fc.Arbitrary<unknown> {
  return fc.tuple(fc.nat(), fc.jsonValue()).map(([pick, value]) => {
    const body = valid() as Record<string, unknown>;
    const slots: Array<[Record<string, unknown>, string]> = [];
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      for (const key of Object.keys(node)) {
        slots.push([node as Record<string, unknown>, key]);
        walk((node as Record<string, unknown>)[key]);
      }
    };
    walk(body);
    const [holder, key] = slots[pick % slots.length]!;
    holder[key] = value;
    return body;
  });
}

describe.each(ENGINES)('OCS and network bodies from anywhere on %s', (engine) => {
  let server: InProcessStatus;
  let token: string;
  beforeAll(async () => {
    server = await inProcessStatus(engine);
    const answer = await server.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      payload: { ticket: ticketOf('ST-good') },
    });
    token = answer.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await server.close();
  });

  const send = async (method: 'POST' | 'PUT', url: string, body: unknown) => {
    const answer = await server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return { status: answer.statusCode, body: answer.json<{ error?: string }>() };
  };

  for (const [method, url, valid] of [
    ['POST', '/v1/ocs-logs', validOcs],
    ['PUT', '/v1/network-configuration', validNetwork],
  ] as const) {
    it(`answers ${method} ${url} with 200 or a 400 naming the fault, never a failure`, async () => {
      expect((await send(method, url, valid())).status).toBe(200);
      // Once found by the property below: the JSON reader refuses the key, as bad input.
      const poisoned = await send(method, url, JSON.parse('{"__proto__": null}'));
      expect(poisoned).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue(), mutated(valid)), async (body) => {
          const answer = await send(method, url, body);
          expect([200, 400]).toContain(answer.status);
          if (answer.status === 400) expect(answer.body.error).toBe('invalid_input');
        }),
        { numRuns: 150 },
      );
    });
  }
});
