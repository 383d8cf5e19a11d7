import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import type { Logger } from '../shared/log.js';

/** What one appliance's area holds of pushes that never finished. */
export interface StuckTransfers {
  customerId: number;
  guid: string;
  /** Unfinished files older than the stuck threshold that are still kept. */
  files: number;
  oldestAgeMs: number;
}

export interface LeftoverReport {
  stuck: StuckTransfers[];
  deleted: number;
}

export interface LeftoverPolicy {
  now: number;
  /** Older unfinished files are reported: a transfer that never ends is an appliance problem. */
  stuckAfterMs: number;
  /** Older unfinished files are deleted: no push resumes from them any more. */
  deleteAfterMs: number;
}

/** The folders of an area that hold files no push finished (area.ts); logs/ is never touched. */
const UNFINISHED_DIRS = ['incoming', 'partial'];
/** Files raw-file retention moved aside to delete; one left behind is garbage at any age. */
const RETIRED_SUFFIX = '.expired';

/**
 * Housekeeping of interrupted pushes (handed case C16): reports, per appliance, the
 * unfinished files older than the stuck threshold, and deletes those older than the deletion
 * threshold. Received files under logs/ are ingestion's and are never looked at here.
 */
export async function sweepLeftovers(
  areasDir: string,
  policy: LeftoverPolicy,
  logger: Logger,
): Promise<LeftoverReport> {
  const report: LeftoverReport = { stuck: [], deleted: 0 };
  for (const { customerId, guid, root } of await applianceAreas(areasDir)) {
    const area = await sweepArea(root, policy);
    report.deleted += area.deleted;
    if (area.stuck === 0) continue;

    const stuck = { customerId, guid, files: area.stuck, oldestAgeMs: area.oldestAgeMs };
    report.stuck.push(stuck);
    logger.warn(
      { customerId, guid, files: stuck.files, oldestHours: hoursOf(stuck.oldestAgeMs) },
      'unfinished transfers are kept in the appliance area',
    );
  }
  if (report.deleted > 0) logger.info({ files: report.deleted }, 'interrupted push files deleted');
  return report;
}

interface AreaSweep {
  stuck: number;
  oldestAgeMs: number;
  deleted: number;
}

async function sweepArea(root: string, policy: LeftoverPolicy): Promise<AreaSweep> {
  const sweep: AreaSweep = { stuck: 0, oldestAgeMs: 0, deleted: 0 };
  for (const file of await unfinishedFiles(root)) {
    const ageMs = policy.now - file.mtimeMs;
    if (file.path.endsWith(RETIRED_SUFFIX) || ageMs > policy.deleteAfterMs) {
      if (await removed(file.path)) sweep.deleted += 1;
      continue;
    }
    if (ageMs <= policy.stuckAfterMs) continue;
    sweep.stuck += 1;
    sweep.oldestAgeMs = Math.max(sweep.oldestAgeMs, ageMs);
  }
  return sweep;
}

interface UnfinishedFile {
  path: string;
  mtimeMs: number;
}

async function unfinishedFiles(root: string): Promise<UnfinishedFile[]> {
  const files: UnfinishedFile[] = [];
  for (const dir of UNFINISHED_DIRS.map((name) => path.join(root, name))) {
    for (const name of await listing(dir, true)) {
      const file = path.join(dir, name);
      const stats = await lstat(file).catch(() => null);
      // Gone meanwhile (the push finished) or a folder: nothing to look at.
      if (stats?.isFile() === true) files.push({ path: file, mtimeMs: stats.mtimeMs });
    }
  }
  return files;
}

async function applianceAreas(
  areasDir: string,
): Promise<{ customerId: number; guid: string; root: string }[]> {
  const areas = [];
  for (const customer of await listing(areasDir, false)) {
    const customerId = Number(customer);
    if (!/^\d+$/.test(customer)) continue;
    for (const guid of await listing(path.join(areasDir, customer), false))
      areas.push({ customerId, guid, root: path.join(areasDir, customer, guid) });
  }
  return areas;
}

async function listing(dir: string, recursive: boolean): Promise<string[]> {
  try {
    return await readdir(dir, { recursive });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function removed(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function hoursOf(ms: number): number {
  return Math.round((ms / 3_600_000) * 10) / 10;
}
