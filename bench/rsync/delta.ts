import { rm } from 'node:fs/promises';
import path from 'node:path';

import type { BenchOutcome } from '../main.js';
import { grow, writeRandomFile } from './files.js';
import { mib, oneLine, percent } from './format.js';
import type { RsyncBenchSettings } from './settings.js';
import { newGuid, push, type Pushed } from './targets.js';
import { clientOptions, type Pair } from './throughput.js';

type Role = keyof Pair;

/**
 * A file pushed, grown by a small share, pushed again: the second push should move little
 * more than the growth. Bytes moved are the client's "Total bytes sent"; the ratio is TMSP's
 * over the stock server's (1 means the same, lower is better).
 */
export async function deltaEfficiency(
  pair: Pair,
  dir: string,
  settings: RsyncBenchSettings,
): Promise<BenchOutcome> {
  const name =
    `rsync re-push over SSH after ${settings.growthPercent} % growth ` +
    `of a ${settings.deltaMiB} MiB file, bytes sent`;
  const source = path.join(dir, 'delta');
  const file = path.join(source, 'growing.log');
  await writeRandomFile(file, settings.deltaMiB * 1024 ** 2);
  const names: Record<Role, string> = { subject: newGuid(), reference: newGuid() };
  const pushBoth = async (): Promise<Record<Role, Pushed>> => ({
    subject: await push(pair.subject, source, names.subject, { extra: clientOptions(settings) }),
    reference: await push(pair.reference, source, names.reference, {
      extra: clientOptions(settings),
    }),
  });
  try {
    const first = await pushBoth();
    const size = await grow(file, settings.growthPercent);
    const second = await pushBoth();
    const failed = failure(pair, [first, second]);
    if (failed !== null) return { name, note: failed };
    return deltaResult(name, pair, size, first, second);
  } finally {
    await rm(source, { recursive: true, force: true });
    for (const role of ['subject', 'reference'] as const) {
      await rm(pair[role].landing(names[role]), { recursive: true, force: true });
    }
  }
}

function failure(pair: Pair, rounds: Array<Record<Role, Pushed>>): string | null {
  for (const round of rounds) {
    for (const role of ['subject', 'reference'] as const) {
      const pushed = round[role];
      if (!pushed.ok) return `${pair[role].label} failed: ${oneLine(pushed.stderr)}`;
      if (pushed.bytesSent === null) return `${pair[role].label} printed no --stats`;
    }
  }
  return null;
}

function deltaResult(
  name: string,
  pair: Pair,
  size: number,
  first: Record<Role, Pushed>,
  second: Record<Role, Pushed>,
): BenchOutcome {
  const sent = (role: Role): number => second[role].bytesSent ?? NaN;
  const describe = (role: Role): string =>
    `${pair[role].label} ${sent(role)} bytes (${percent(sent(role), size)} % of the file)`;
  return {
    name,
    subject: describe('subject'),
    reference: describe('reference'),
    ratio: sent('subject') / sent('reference'),
    details: [
      `file ${mib(size)} MiB after growth; first push sent ${String(first.subject.bytesSent)} ` +
        `(TMSP) and ${String(first.reference.bytesSent)} (reference) bytes`,
    ],
  };
}
