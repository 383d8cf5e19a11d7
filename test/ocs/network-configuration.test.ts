import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { formatCidr } from '../../src/network/cidr.js';
import { networkConfigurationOf } from '../../src/network/network-configuration.js';
import { ENGINES } from '../support/databases.js';
import { tdaHeartbeat, type ApplianceClient } from '../status/appliance-client.js';
import { GLOBEX, statusHarness, type StatusHarness } from '../status/status-harness.js';
import { newGuid, putNetwork } from './ocs-support.js';

function configuration(guid: string, overrides: Record<string, unknown> = {}) {
  return {
    guid,
    monitoredNetworks: [
      { name: 'Headquarters', trust: 'trusted', ranges: ['10.1.0.0/16', '2001:DB8:0:0::/64'] },
      { name: 'Guests', trust: 'untrusted', ranges: ['192.168.50.0/24', '192.168.60.7'] },
    ],
    registeredDomains: ['Corp.Acme.Example.', 'acme.example'],
    registeredServices: [
      { kind: 'dns', name: 'dns1', address: '10.1.0.53', port: 53 },
      { kind: 'proxy', address: 'proxy.acme.example', port: 8080 },
    ],
    ...overrides,
  };
}

describe.each(ENGINES)('network configuration over the appliance API on %s', (engine) => {
  let harness: StatusHarness;
  let acme: ApplianceClient;
  beforeAll(async () => {
    harness = await statusHarness(engine);
    acme = harness.appliance();
    await acme.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  const current = async (guid: string) => {
    const product = await harness.runtime.store.db
      .selectFrom('registeredProducts')
      .select(['id', 'customerId'])
      .where('guid', '=', guid)
      .executeTakeFirstOrThrow();
    const found = await networkConfigurationOf(harness.runtime.store.db, {
      customerId: product.customerId,
      productId: product.id,
    });
    if (found === null) return null;
    const monitoredNetworks = found.monitoredNetworks.map((group) => ({
      ...group,
      ranges: group.ranges.map(formatCidr),
    }));
    return { ...found, monitoredNetworks };
  };

  it('stores the whole configuration in canonical form, with its time', async () => {
    const guid = newGuid();
    const answer = await putNetwork(acme, configuration(guid));

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      updatedAt: harness.clock.now().toISOString(),
      monitoredRanges: 4,
      registeredDomains: 2,
      registeredServices: 2,
    });
    expect(await current(guid)).toEqual({
      updatedAt: harness.clock.now().getTime(),
      monitoredNetworks: [
        { name: 'Headquarters', trust: 'trusted', ranges: ['10.1.0.0/16', '2001:db8::/64'] },
        { name: 'Guests', trust: 'untrusted', ranges: ['192.168.50.0/24', '192.168.60.7/32'] },
      ],
      registeredDomains: ['corp.acme.example', 'acme.example'],
      registeredServices: [
        { kind: 'dns', name: 'dns1', address: '10.1.0.53', port: 53 },
        { kind: 'proxy', name: null, address: 'proxy.acme.example', port: 8080 },
      ],
    });
  });

  it('replaces the previous configuration whole', async () => {
    const guid = newGuid();
    await putNetwork(acme, configuration(guid));
    harness.clock.advance(60_000);
    const smaller = configuration(guid, {
      monitoredNetworks: [{ name: 'Lab', trust: 'untrusted', ranges: ['172.16.0.0/12'] }],
      registeredDomains: [],
      registeredServices: [],
    });
    expect((await putNetwork(acme, smaller)).status).toBe(200);

    expect(await current(guid)).toEqual({
      updatedAt: harness.clock.now().getTime(),
      monitoredNetworks: [{ name: 'Lab', trust: 'untrusted', ranges: ['172.16.0.0/12'] }],
      registeredDomains: [],
      registeredServices: [],
    });
  });

  it('leaves one whole configuration when two reports race, never a mix', async () => {
    const guid = newGuid();
    const networksOf = (name: string, octet: number) => [
      {
        name,
        trust: 'trusted',
        ranges: Array.from(
          { length: 300 },
          (_, i) => `10.${octet}.${i % 256}.${Math.floor(i / 256) * 8}/29`,
        ),
      },
    ];
    await Promise.all([
      putNetwork(acme, configuration(guid, { monitoredNetworks: networksOf('A', 1) })),
      putNetwork(acme, configuration(guid, { monitoredNetworks: networksOf('B', 2) })),
    ]);
    const groups = (await current(guid))!.monitoredNetworks;
    expect(groups).toHaveLength(1);
    expect(groups[0]!.ranges).toHaveLength(300);
  });

  it('refuses a malformed report with 400 naming the field, keeping the previous one', async () => {
    const guid = newGuid();
    await putNetwork(acme, configuration(guid));
    const before = await current(guid);
    const answer = await putNetwork(
      acme,
      configuration(guid, {
        monitoredNetworks: [
          { name: 'HQ', trust: 'trusted', ranges: ['10.1.0.0/16', '10.0.0.1/8'] },
          { name: 'HQ', trust: 'maybe', ranges: ['300.1.1.0/24'] },
        ],
        registeredDomains: ['-bad-.example'],
        registeredServices: [{ kind: 'telnet', address: 'not an address' }],
      }),
    );

    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_input');
    for (const part of [
      'monitoredNetworks.0.ranges.1: "10.0.0.1/8" is no CIDR: host bits are set ' +
        '(the network is 10.0.0.0/8)',
      'monitoredNetworks.1.trust:',
      'monitoredNetworks.1.ranges.0: "300.1.1.0/24" is no CIDR',
      'registeredDomains.0: must be a domain name',
      'registeredServices.0.kind:',
    ]) {
      expect(answer.json.message).toContain(part);
    }
    const duplicate = await putNetwork(
      acme,
      configuration(guid, {
        monitoredNetworks: [
          { name: 'HQ', trust: 'trusted', ranges: ['10.1.0.0/16'] },
          { name: 'HQ', trust: 'trusted', ranges: ['10.2.0.0/16'] },
        ],
      }),
    );
    expect(duplicate.json.message).toContain('monitoredNetworks: each group name once');
    expect(await current(guid)).toEqual(before);
  });

  it("refuses another customer account's GUID with 403", async () => {
    const guid = newGuid();
    await acme.heartbeat(tdaHeartbeat(guid));
    const globex = harness.appliance(GLOBEX);
    await globex.signOn();

    const refused = await putNetwork(globex, configuration(guid));
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('acme');
    expect(await current(guid)).toBeNull();
  });
});
