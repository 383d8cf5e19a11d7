import { cefLine, trendTime } from './cef-format.js';
import type { Random } from './random.js';

const PRODUCT = 'Threat Mitigator';
const VERSION = '2.5.1120';

const TASKS: ReadonlyArray<{ classId: string; name: string }> = [
  { classId: 'MITIGATION', name: 'Mitigation task completed' },
  { classId: 'CLEANUP', name: 'Threat cleaned' },
  { classId: 'ENDPOINT_ASSESSMENT', name: 'Endpoint assessed' },
  { classId: 'UNRESOLVED_THREAT', name: 'Threat could not be cleaned' },
];
const THREATS = ['TROJ_GEN.R002C0PLH21', 'WORM_DOWNAD.AD', 'BKDR_ZACCESS.SMIA', 'PE_SALITY.RL'];
const RESULTS = ['success', 'success', 'success', 'failed', 'reboot required'];

/** One line of a Threat Mitigator's log: what it did about a threat on one endpoint. */
export function tmLine(random: Random, now: Date, subnet: number): string {
  const task = random.pick(TASKS);
  const last = random.int(2, 60);
  return cefLine({
    product: PRODUCT,
    version: VERSION,
    classId: task.classId,
    name: task.name,
    severity: task.classId === 'UNRESOLVED_THREAT' ? 6 : 3,
    fields: [
      ['rt', trendTime(now)],
      ['dst', `10.${subnet}.0.${last}`],
      ['dhost', `ws-${subnet}-${last}`],
      ['cs1Label', 'Threat'],
      ['cs1', random.pick(THREATS)],
      ['outcome', random.pick(RESULTS)],
    ],
  });
}
