import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { Browser, ticketOf } from './browser.js';
import { casHarness, CONSOLE, PEOPLE, PORTAL, PROXY_CALLBACK, type CasHarness } from './harness.js';

describe.each(ENGINES)('CAS ticket validation on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine);
  });
  afterEach(async () => {
    await cas.close();
  });

  const serviceTicket = async (service = PORTAL): Promise<string> => {
    const answer = await new Browser(cas.app).logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      service,
    );
    return ticketOf(answer.location);
  };
  const get = async (path: string, params: Record<string, string>): Promise<string> => {
    const response = await cas.app.inject({
      url: `${path}?${new URLSearchParams(params).toString()}`,
    });
    return response.body;
  };
  const json = async (path: string, params: Record<string, string>): Promise<any> =>
    JSON.parse(await get(path, { ...params, format: 'JSON' })).serviceResponse;

  it('answers CAS 2.0 XML in the CAS namespace, without attributes', async () => {
    const body = await get('/cas/serviceValidate', {
      ticket: await serviceTicket(),
      service: PORTAL,
    });
    expect(body).toContain('<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">');
    expect(body).toContain(`<cas:user>${PEOPLE.portalUser}</cas:user>`);
    expect(body).not.toContain('<cas:attributes>');
  });

  it('answers CAS 3.0 XML with attributes', async () => {
    const body = await get('/cas/p3/serviceValidate', {
      ticket: await serviceTicket(),
      service: PORTAL,
    });
    expect(body).toContain('<cas:role>portal</cas:role>');
    expect(body).toContain('<cas:customerAccounts>acme</cas:customerAccounts>');
  });

  it('answers CAS 1.0 /validate with yes and the user', async () => {
    const body = await get('/cas/validate', { ticket: await serviceTicket(), service: PORTAL });
    expect(body).toBe(`yes\n${PEOPLE.portalUser}\n`);
    expect(await get('/cas/validate', { ticket: 'ST-nothing', service: PORTAL })).toBe('no\n\n');
  });

  it('accepts a service ticket once only (C28)', async () => {
    const ticket = await serviceTicket();
    expect(
      (await json('/cas/p3/serviceValidate', { ticket, service: PORTAL })).authenticationSuccess,
    ).toBeDefined();
    const again = await json('/cas/p3/serviceValidate', { ticket, service: PORTAL });
    expect(again.authenticationFailure.code).toBe('INVALID_TICKET');
  });

  it('voids a ticket presented for another service (C27)', async () => {
    const ticket = await serviceTicket(PORTAL);
    const wrong = await json('/cas/p3/serviceValidate', { ticket, service: CONSOLE });
    expect(wrong.authenticationFailure.code).toBe('INVALID_SERVICE');
    const right = await json('/cas/p3/serviceValidate', { ticket, service: PORTAL });
    expect(right.authenticationFailure.code).toBe('INVALID_TICKET');
  });

  it('lets only one of two CAS processes on one database validate a ticket (P12)', async () => {
    const second = cas.newApp();
    try {
      const ticket = await serviceTicket();
      const url = `/cas/p3/serviceValidate?${new URLSearchParams({ ticket, service: PORTAL, format: 'JSON' }).toString()}`;
      const answers = await Promise.all([cas.app.inject({ url }), second.inject({ url })]);
      const successes = answers.filter((answer) => answer.body.includes('authenticationSuccess'));
      expect(successes).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('expires a service ticket after its lifetime', async () => {
    const ticket = await serviceTicket();
    cas.clock.advance(11_000);
    const late = await json('/cas/p3/serviceValidate', { ticket, service: PORTAL });
    expect(late.authenticationFailure.code).toBe('INVALID_TICKET');
  });

  it('names missing parameters and malformed tickets with the standard codes', async () => {
    expect(
      (await json('/cas/p3/serviceValidate', { service: PORTAL })).authenticationFailure.code,
    ).toBe('INVALID_REQUEST');
    expect(
      (await json('/cas/p3/serviceValidate', { ticket: 'XX-1', service: PORTAL }))
        .authenticationFailure.code,
    ).toBe('INVALID_TICKET');
    expect(
      (await json('/cas/serviceValidate', { ticket: 'PT-abc', service: PORTAL }))
        .authenticationFailure.code,
    ).toBe('INVALID_TICKET_SPEC');
  });

  it('escapes what it echoes into XML', async () => {
    const body = await get('/cas/p3/serviceValidate', { ticket: '<x>&', service: PORTAL });
    expect(body).not.toContain('<x>');
    expect(body).toContain('code="INVALID_TICKET"');
  });

  it('refuses a proxy callback that is not registered', async () => {
    const answer = await json('/cas/p3/serviceValidate', {
      ticket: await serviceTicket(),
      service: PORTAL,
      pgtUrl: 'https://evil.test/callback',
    });
    expect(answer.authenticationFailure.code).toBe('INVALID_PROXY_CALLBACK');
  });

  it('runs the proxy flow: PGT through the callback, PT for a service, proxies listed', async () => {
    const validated = await json('/cas/p3/serviceValidate', {
      ticket: await serviceTicket(),
      service: PORTAL,
      pgtUrl: PROXY_CALLBACK,
    });
    const iou = validated.authenticationSuccess.proxyGrantingTicket as string;
    expect(iou).toMatch(/^PGTIOU-/);
    const callback = new URL(cas.proxyCallbacks[0]!);
    expect(callback.searchParams.get('pgtIou')).toBe(iou);
    const pgt = callback.searchParams.get('pgtId')!;

    const proxied = await json('/cas/proxy', { pgt, targetService: CONSOLE });
    const proxyTicket = proxied.proxySuccess.proxyTicket as string;
    expect(proxyTicket).toMatch(/^PT-/);

    const refused = await json('/cas/p3/serviceValidate', {
      ticket: proxyTicket,
      service: CONSOLE,
    });
    expect(refused.authenticationFailure.code).toBe('INVALID_TICKET_SPEC');
    const accepted = await json('/cas/p3/proxyValidate', { ticket: proxyTicket, service: CONSOLE });
    expect(accepted.authenticationSuccess.user).toBe(PEOPLE.portalUser);
    expect(accepted.authenticationSuccess.proxies).toEqual([PROXY_CALLBACK]);
  });

  it('grants no proxy ticket for an unregistered target service', async () => {
    const answer = await json('/cas/proxy', {
      pgt: 'PGT-abc',
      targetService: 'https://evil.test/',
    });
    expect(answer.proxyFailure.code).toBe('UNAUTHORIZED_SERVICE_PROXY');
  });
});
