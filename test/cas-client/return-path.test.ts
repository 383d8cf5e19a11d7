import { describe, expect, it } from 'vitest';

import { safeReturnPath } from '../../src/cas-client/return-path.js';

describe('the page to return to after logon', () => {
  it.each(['/admin', '/admin/', '/admin/customers?page=2', '/admin?x=1'])('keeps %s', (path) => {
    expect(safeReturnPath('/admin', path)).toBe(path);
  });

  it.each([
    'https://evil.example/admin',
    '//evil.example/admin',
    '/admin//evil.example',
    '/admin/\\evil.example',
    '/administrators',
    '/tms2',
    '/admin/a b',
    '/admin/\r\nx',
    `/admin/${'a'.repeat(3000)}`,
    null,
  ])('refuses %s', (path) => {
    expect(safeReturnPath('/admin', path)).toBeNull();
  });
});
