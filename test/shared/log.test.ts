import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { createLogger, silentLogger, type LogFormat } from '../../src/shared/log.js';

const SECRET_FIELDS = [
  'password',
  'secret',
  'registrationSecret',
  'portalPassword',
  'ticket',
  'authorization',
  'cookie',
  'privateKey',
  'key',
];

/** A logger on an in-memory stream, and the text written to it so far. */
function captured(format: LogFormat, level: 'info' | 'debug' = 'info') {
  const destination = new PassThrough();
  const chunks: Buffer[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk));
  const logger = createLogger({ level, format, destination });
  return { logger, text: () => Buffer.concat(chunks).toString('utf8') };
}

function valueFor(field: string, where: string): string {
  return `VALUE-${where}-${field}-4f2a`;
}

describe('createLogger redaction', () => {
  it.each(SECRET_FIELDS)('never writes the value of a top-level %s field', (field) => {
    const { logger, text } = captured('json');
    logger.info({ [field]: valueFor(field, 'top'), visible: 'shown-1' }, 'event');
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line[field]).toBe('[redacted]');
    expect(line['visible']).toBe('shown-1');
    expect(text()).not.toContain(valueFor(field, 'top'));
  });

  it.each(SECRET_FIELDS)('never writes the value of a %s field nested one level', (field) => {
    const { logger, text } = captured('json');
    logger.info({ customer: { name: 'acme', [field]: valueFor(field, 'nested') } }, 'event');
    const line = JSON.parse(text()) as { customer: Record<string, unknown> };
    expect(line.customer).toEqual({ name: 'acme', [field]: '[redacted]' });
    expect(text()).not.toContain(valueFor(field, 'nested'));
  });

  it('redacts two levels deep and in request headers', () => {
    const { logger, text } = captured('json');
    logger.info(
      {
        request: { body: { password: valueFor('password', 'deep') } },
        req: { headers: { authorization: 'Basic c2VjcmV0', cookie: 'sid=abc', host: 'h' } },
      },
      'event',
    );
    const written = text();
    expect(written).not.toContain(valueFor('password', 'deep'));
    expect(written).not.toContain('c2VjcmV0');
    expect(written).not.toContain('sid=abc');
    expect(written).toContain('"host":"h"');
  });

  it('redacts secrets in the bindings of a child logger', () => {
    const { logger, text } = captured('json');
    logger.child({ secret: valueFor('secret', 'child') }).info('from child');
    expect(text()).not.toContain(valueFor('secret', 'child'));
    expect(text()).toContain('from child');
  });

  it('redacts in the pretty format too', () => {
    const { logger, text } = captured('pretty');
    logger.info(
      { registrationSecret: valueFor('registrationSecret', 'pretty'), user: { ticket: 'ST-1-x' } },
      'pretty event',
    );
    expect(text()).toContain('pretty event');
    expect(text()).not.toContain(valueFor('registrationSecret', 'pretty'));
    expect(text()).not.toContain('ST-1-x');
  });

  it('leaves the logged object itself unchanged', () => {
    const { logger } = captured('json');
    const fields = { password: 'still-here', nested: { secret: 'also-here' } };
    logger.info(fields, 'event');
    expect(fields).toEqual({ password: 'still-here', nested: { secret: 'also-here' } });
  });
});

describe('createLogger format and level', () => {
  it('writes one JSON object per line with a level label, time and message', () => {
    const { logger, text } = captured('auto');
    logger.info({ n: 1 }, 'first');
    logger.warn('second');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 'info', msg: 'first', n: 1 });
    expect(new Date(first['time'] as string).toISOString()).toBe(first['time']);
    expect(first).not.toHaveProperty('pid');
    expect(first).not.toHaveProperty('hostname');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: 'second' });
  });

  it('drops lines below the configured level', () => {
    const { logger, text } = captured('json', 'info');
    logger.debug('hidden');
    logger.info('seen');
    expect(text()).not.toContain('hidden');
    expect(text()).toContain('seen');
  });

  it('has a silent logger that accepts calls and writes nothing', () => {
    const logger = silentLogger();
    expect(() => logger.error({ password: 'x' }, 'nothing')).not.toThrow();
    expect(logger.level).toBe('silent');
  });
});
