import type { ServerName } from '../config/schema.js';
import type { Endpoints } from '../system/endpoints.js';

/** The lines `tmsp up` and `tmsp serve` print once every door listens. */
export function describeEndpoints(endpoints: Endpoints, names: readonly ServerName[]): string[] {
  const lines = ['TMSP is running:'];
  if (names.includes('admin')) lines.push(`  console  ${endpoints.admin.url}`);
  if (names.includes('portal')) lines.push(`  portal   ${endpoints.portal.url}`);
  if (names.includes('cas')) lines.push(`  CAS      ${endpoints.cas.url}`);
  if (names.includes('log'))
    lines.push(`  log      rsync over SSH ${endpoints.log.ssh}, over TLS ${endpoints.log.tls}`);
  if (names.includes('status'))
    lines.push(`  status   ${endpoints.status.url}, SSH ${endpoints.status.ssh}`);
  lines.push(`  metrics  ${endpoints.metrics}`);
  lines.push(`  CA certificate for appliances and browsers: ${endpoints.caCertificate}`);
  return lines;
}

/** Columns padded to their widest cell, for the human forms of list commands. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
