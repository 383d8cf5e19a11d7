import { describe, expect, it } from 'vitest';

import { eventKind, type EventKind } from '../../src/ingest/kinds.js';
import { parseCef } from '../../src/ingest/parsers/cef.js';
import { planAppliances } from '../../src/simulator/fleet.js';
import type { FleetPlan } from '../../src/simulator/fleet-types.js';
import { stableGuid } from '../../src/simulator/identity.js';
import { Random } from '../../src/simulator/random.js';
import { tdaLine } from '../../src/simulator/tda-events.js';
import { tmLine } from '../../src/simulator/tm-events.js';

const NOW = new Date('2026-12-04T10:00:00Z');
const CONTEXT = { receiveTime: NOW, timeZone: 'UTC' };

/** The simulator's lines must land as the kinds a real appliance's would, with no doubts. */
function kindsOf(make: (random: Random) => string): Map<EventKind, number> {
  const random = new Random(42);
  const kinds = new Map<EventKind, number>();
  for (let i = 0; i < 500; i += 1) {
    const parsed = parseCef(make(random), CONTEXT);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.record.warnings).toEqual([]);
    const kind = eventKind(parsed.record);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds;
}

describe('simulated appliances', () => {
  it('write TDA lines that are mostly detections, with filter and network events', () => {
    const kinds = kindsOf((random) => tdaLine(random, NOW, 10));
    expect([...kinds.keys()].sort()).toEqual([
      'application-filter',
      'detection',
      'network-configuration',
      'url-filtering',
    ]);
    expect(kinds.get('detection')).toBeGreaterThan(250);
  });

  it('write Threat Mitigator lines that are mitigation events', () => {
    expect([...kindsOf((random) => tmLine(random, NOW, 130)).keys()]).toEqual(['mitigation']);
  });

  it('keep their GUIDs from run to run and alternate protocols when asked for both', () => {
    const guid = stableGuid('acme-fleet', 'tda', 1);
    expect(guid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(stableGuid('acme-fleet', 'tda', 1)).toBe(guid);
    expect(stableGuid('acme-fleet', 'tm', 1)).not.toBe(guid);
    expect(stableGuid('other-fleet', 'tda', 1)).not.toBe(guid);

    const plan = { userName: 'acme-fleet', tda: 2, tm: 1, protocol: 'both' } as FleetPlan;
    const specs = planAppliances(plan, '/tmp/fleet');
    expect(specs.map((spec) => [spec.label, spec.protocol])).toEqual([
      ['TDA-1', 'ssh'],
      ['TDA-2', 'tls'],
      ['TM-1', 'ssh'],
    ]);
    expect(new Set(specs.map((spec) => spec.workDir)).size).toBe(3);
  });
});
