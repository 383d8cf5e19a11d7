import { AppError, invalidInput } from '../shared/errors.js';
import type { Upload } from './uploads.js';

/** `Content-Range: bytes start-end/total`, inclusive as HTTP counts. */
export interface ByteRange {
  start: number;
  end: number;
  total: number;
}

const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/;

export function parseContentRange(header: string | undefined): ByteRange {
  const match = CONTENT_RANGE.exec(header?.trim() ?? '');
  if (match === null) {
    throw invalidInput('Content-Range must be "bytes <first>-<last>/<size>"');
  }
  const [start, end, total] = match.slice(1).map(Number) as [number, number, number];
  if (end < start) throw invalidInput('Content-Range: the last byte comes before the first');
  return { start, end, total };
}

/** A range that does not continue the upload where it stands; the answer names the offset. */
export class OffsetMismatch extends AppError {
  constructor(
    readonly offset: number,
    message: string,
    code: 'conflict' | 'range_not_satisfiable',
  ) {
    super(code, message);
  }
}

/** The range must describe this upload and start exactly at its acknowledged offset. */
export function checkRange(range: ByteRange, upload: Upload): void {
  const offset = upload.receivedBytes;
  if (range.total !== upload.declaredSize || range.end >= range.total) {
    throw new OffsetMismatch(
      offset,
      `the range must lie within the announced size of ${upload.declaredSize} bytes`,
      'range_not_satisfiable',
    );
  }
  if (range.start !== offset) {
    throw new OffsetMismatch(
      offset,
      `the upload holds ${offset} bytes: send the range starting at byte ${offset}`,
      'conflict',
    );
  }
}

export function tooLarge(limit: number): AppError {
  return new AppError('too_large', `a forensic package may have at most ${limit} bytes`);
}
