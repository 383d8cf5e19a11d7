/** Rows travel as JSON lines; binary values are tagged so that they come back as bytes. */
export function encodeRow(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
    if (
      typeof value === 'object' &&
      value !== null &&
      'type' in value &&
      value.type === 'Buffer' &&
      'data' in value
    ) {
      return { $base64: Buffer.from(value.data as number[]).toString('base64') };
    }
    return value;
  });
}

export function decodeRow(line: string): Record<string, unknown> {
  return JSON.parse(line, (_key, value: unknown) => {
    if (
      typeof value === 'object' &&
      value !== null &&
      '$base64' in value &&
      typeof value.$base64 === 'string'
    ) {
      return Buffer.from(value.$base64, 'base64');
    }
    return value;
  }) as Record<string, unknown>;
}
