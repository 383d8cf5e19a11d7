import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { environmentNames } from '../../src/config/load.js';

const README = new URL('../../README.md', import.meta.url);

// An operator looks a setting up in the README: one the table leaves out is one nobody finds.
describe("the README's configuration table", () => {
  it('names every configuration key with its environment variable on one row', async () => {
    const rows = (await readFile(README, 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('|'));
    for (const [variable, trail] of environmentNames()) {
      const row = rows.find((line) => line.includes(`| \`${trail.join('.')}\` `));
      expect(row, trail.join('.')).toBeDefined();
      expect(row, trail.join('.')).toContain(`\`${variable}\``);
    }
  });
});
