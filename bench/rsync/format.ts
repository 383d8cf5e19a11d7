/** Megabytes (10^6 bytes) per second, as network and disk figures are usually quoted. */
export function mbPerSecond(bytes: number, ms: number): string {
  return (bytes / 1e6 / (ms / 1000)).toFixed(1);
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

export function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

export function percent(part: number, whole: number): string {
  return ((100 * part) / whole).toFixed(2);
}

/** The first line of a message, short enough for a report line. */
export function oneLine(text: string, max = 240): string {
  const first = text.split('\n').find((line) => line.trim() !== '') ?? '';
  return first.length > max ? `${first.slice(0, max)}…` : first;
}

/** Identical messages folded, most frequent first: "37 × message". */
export function tally(messages: string[], max = 5): string[] {
  const counts = new Map<string, number>();
  for (const message of messages) counts.set(message, (counts.get(message) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([message, count]) => `${count} × ${message}`);
}

interface LogEntry {
  level?: unknown;
  msg?: unknown;
  reason?: unknown;
  err?: { message?: unknown };
}

/** A JSON log line without its time and connection ids, so that alike lines fold together. */
export function logSummary(line: string): string {
  try {
    const entry = JSON.parse(line) as LogEntry;
    const reasons = [entry.reason, entry.err?.message];
    const why = reasons.find((text): text is string => typeof text === 'string') ?? '';
    return oneLine(`${String(entry.level)}: ${String(entry.msg)} ${why}`.trim());
  } catch {
    return oneLine(line);
  }
}
