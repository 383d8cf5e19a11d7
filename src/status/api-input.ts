import type { z } from 'zod';

import { invalidInput } from '../shared/errors.js';

const SHOWN_ISSUES = 5;
const LONGEST_MESSAGE = 600;

/**
 * Checks a request's body or query against its schema. A mismatch is a 400 that names each
 * field and what is wrong with it, so that whoever writes an appliance's client can fix it.
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(describeIssues(what, result.error.issues));
}

function describeIssues(what: string, issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, SHOWN_ISSUES).map((issue) => {
    const field = issue.path.length === 0 ? what : issue.path.map(String).join('.');
    return `${field}: ${issue.message}`;
  });
  const more = issues.length > SHOWN_ISSUES ? ` (and ${issues.length - SHOWN_ISSUES} more)` : '';
  const message = `invalid ${what}: ${shown.join('; ')}${more}`;
  return message.length > LONGEST_MESSAGE ? `${message.slice(0, LONGEST_MESSAGE)}…` : message;
}
