import { sql } from 'kysely';

import type { Actor } from '../accounts/customers.js';
import { recordAudit } from '../audit/audit-log.js';
import { parseApplianceGuid } from '../logserver/received-files.js';
import { invalidInput, notFound } from '../shared/errors.js';
import type { Db } from '../storage/database.js';
import { OTHER_KINDS, type OtherKind } from './kinds.js';

/** What can be exported: detections, one kind of other event, or quarantined lines. */
export type ExportKind = 'detection' | OtherKind | 'quarantined';

export const EXPORT_KINDS: readonly ExportKind[] = ['detection', ...OTHER_KINDS, 'quarantined'];

/** The lines asked for: one kind, times from `from` (included) to `to` (excluded). */
export interface ExportRange {
  kind: ExportKind;
  from: Date;
  to: Date;
}

/** A registered product of a customer account, found by names a person types. */
export interface ExportTarget {
  customerId: number;
  customerName: string;
  productId: number;
  guid: string;
}

/** Rows per query: a page is all the export holds in memory at once. */
const PAGE_ROWS = 1_000;

const DATE = String.raw`(\d{4})-(\d{2})-(\d{2})`;
const TIME = String.raw`T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?`;
const ZONE = String.raw`(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)`;
const ISO_TIME = new RegExp(`^${DATE}(?:${TIME}${ZONE})?$`);

/** Reads kind, from and to as they come from a query string or the command line. */
export function parseExportRange(input: {
  kind?: unknown;
  from?: unknown;
  to?: unknown;
}): ExportRange {
  const kind = EXPORT_KINDS.find((known) => known === input.kind);
  if (kind === undefined) {
    throw invalidInput(`kind must be one of ${EXPORT_KINDS.join(', ')}`);
  }
  const from = parseInstant('from', input.from);
  const to = parseInstant('to', input.to);
  if (from.getTime() >= to.getTime()) throw invalidInput('from must be earlier than to');
  return { kind, from, to };
}

function parseInstant(name: string, value: unknown): Date {
  const text = typeof value === 'string' ? value : '';
  const match = ISO_TIME.exec(text);
  const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (match === null || Number.isNaN(date.getTime()) || !isCalendarDay(match)) {
    throw invalidInput(
      `${name} must be an ISO 8601 date (2025-03-01, midnight UTC) ` +
        'or a time with its zone (2025-03-01T09:30:00Z, 2025-03-01T10:30:00+01:00)',
    );
  }
  return date;
}

/** Date reads 2025-02-30 as 2 March; the day must exist as written. */
function isCalendarDay([, year, month, day]: RegExpExecArray): boolean {
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day)
  );
}

/**
 * The product a GUID names within the named customer account. An unknown account, an unknown
 * GUID and a GUID of another account all answer the same, so that nothing leaks by the answer.
 */
export async function findExportTarget(
  db: Db,
  customerName: string,
  guidText: string,
): Promise<ExportTarget> {
  const guid = parseApplianceGuid(guidText);
  const row =
    guid === null
      ? undefined
      : await db
          .selectFrom('registeredProducts as product')
          .innerJoin('customerAccounts as customer', 'customer.id', 'product.customerId')
          .select(['customer.id as customerId', 'customer.name', 'product.id', 'product.guid'])
          .where('customer.name', '=', customerName)
          .where('product.guid', '=', guid)
          .executeTakeFirst();
  if (row === undefined) throw notFound('registered product');
  return { customerId: row.customerId, customerName: row.name, productId: row.id, guid: row.guid };
}

/** Raw logs are the customer's data: every export is on the audit trail. */
export async function auditExport(
  db: Db,
  at: Date,
  actor: Actor,
  target: ExportTarget,
  range: ExportRange,
): Promise<void> {
  await recordAudit(db, at, {
    actor: actor.name,
    source: actor.source,
    action: 'logs.export',
    target: target.guid,
    customerId: target.customerId,
    result: 'success',
    detail: { kind: range.kind, from: range.from.toISOString(), to: range.to.toISOString() },
  });
}

/** A download's file name: only characters that need no quoting in a header. */
export function exportFileName(target: ExportTarget, range: ExportRange): string {
  const compact = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const span = `${compact(range.from)}_${compact(range.to)}`;
  return `${target.customerName}_${target.guid}_${range.kind}_${span}.log`;
}

/**
 * The raw lines, page by page, in event-time order (receive-time order for quarantined lines,
 * which have no event time), each page read by a keyset query after the last row of the one
 * before, so that memory stays bounded however long the range.
 */
export async function* exportPages(
  db: Db,
  target: ExportTarget,
  range: ExportRange,
  pageRows = PAGE_ROWS,
): AsyncGenerator<string[]> {
  let after: Keyset | null = null;
  for (;;) {
    const rows = await pageOf(db, { target, range, after, limit: pageRows });
    if (rows.length > 0) yield rows.map((row) => row.text);
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageRows) return;
    after = { time: last.time, id: last.id };
  }
}

/** The pages as text, one line per stored line. */
export async function* exportText(pages: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const page of pages) yield `${page.join('\n')}\n`;
}

interface Keyset {
  time: number;
  id: number;
}

interface PageQuery {
  target: ExportTarget;
  range: ExportRange;
  after: Keyset | null;
  limit: number;
}

interface PageRow {
  id: number;
  time: number;
  text: string;
}

async function pageOf(db: Db, query: PageQuery): Promise<PageRow[]> {
  const { target, range, after, limit } = query;
  if (range.kind === 'quarantined') {
    let lines = db
      .selectFrom('quarantinedLines')
      .select(['id', 'receiveTime as time', 'line as text'])
      .where('customerId', '=', target.customerId)
      .where('productId', '=', target.productId)
      .where('receiveTime', '>=', range.from.getTime())
      .where('receiveTime', '<', range.to.getTime());
    if (after !== null) {
      lines = lines.where((eb) =>
        eb(eb.refTuple('receiveTime', 'id'), '>', eb.tuple(after.time, after.id)),
      );
    }
    return lines.orderBy('receiveTime').orderBy('id').limit(limit).execute();
  }
  let events = db
    .selectFrom(range.kind === 'detection' ? 'detections' : 'otherEvents')
    .select(['id', 'eventTime as time', 'raw as text'])
    .where('customerId', '=', target.customerId)
    .where('productId', '=', target.productId)
    .where('eventTime', '>=', range.from.getTime())
    .where('eventTime', '<', range.to.getTime());
  if (range.kind !== 'detection') events = events.where(sql.ref('kind'), '=', range.kind);
  if (after !== null) {
    events = events.where((eb) =>
      eb(eb.refTuple('eventTime', 'id'), '>', eb.tuple(after.time, after.id)),
    );
  }
  return events.orderBy('eventTime').orderBy('id').limit(limit).execute();
}
