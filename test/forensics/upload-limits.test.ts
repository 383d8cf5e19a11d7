import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StatusAccess } from '../../src/simulator/status-api.js';
import { ENGINES } from '../support/databases.js';
import { json } from '../status/appliance-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { rawRequest, TM_GUID, uploadTarget } from './forensic-harness.js';

const LIMIT = 1024 * 1024;
const TEN_GIB = 10 * 1024 ** 3;
const UPLOADS = '/v1/forensic-uploads';
const PACKAGE = { 'content-type': 'application/octet-stream' };

/** Waits up to two seconds for an answer without sending a byte of the body. */
const sendNothing = async (_write: unknown, answered: () => boolean): Promise<void> => {
  for (let waited = 0; waited < 2000 && !answered(); waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe.each(ENGINES)('C48: forensic upload limits, before the body is read (%s)', (engine) => {
  let harness: StatusHarness;
  let target: StatusAccess;
  beforeAll(async () => {
    harness = await statusHarness(engine, { TMSP_FORENSICS_MAX_BYTES: String(LIMIT) });
    target = await uploadTarget(harness);
  });
  afterAll(async () => {
    await harness.close();
  });

  async function announce(size: number): Promise<{ status: number; json: any }> {
    const appliance = harness.appliance();
    appliance.token = target.token;
    const body = { guid: TM_GUID, endpoint: 'wks-7', fileName: 'wks-7.zip', size };
    return appliance.status('POST', UPLOADS, json({ ...body, sha256: '0'.repeat(64) }));
  }

  it('refuses to announce a package over the limit (413)', async () => {
    const answer = await announce(TEN_GIB);
    expect(answer.status).toBe(413);
    expect(answer.json.message).toContain(String(LIMIT));
  });

  it('answers a 10 GiB Content-Length with 413 before a byte of the body is sent', async () => {
    const created = await announce(LIMIT);
    const headers = {
      ...PACKAGE,
      'content-length': String(TEN_GIB),
      'content-range': `bytes 0-${TEN_GIB - 1}/${TEN_GIB}`,
    };
    const put = await rawRequest(
      target,
      'PUT',
      `${UPLOADS}/${created.json.id}`,
      headers,
      sendNothing,
    );
    expect(put.status).toBe(413);
    expect(put.sentBeforeAnswer).toBe(0);
    const post = await rawRequest(
      target,
      'POST',
      UPLOADS,
      { 'content-type': 'application/json', 'content-length': String(TEN_GIB) },
      sendNothing,
    );
    expect(post.status).toBe(413);
    expect(post.sentBeforeAnswer).toBe(0);
  });

  it('cuts off a chunked body past the limit with 413 and removes what arrived', async () => {
    const created = await announce(LIMIT);
    const id = created.json.id as string;
    const piece = Buffer.alloc(64 * 1024, 7);
    const headers = { ...PACKAGE, 'content-range': `bytes 0-${LIMIT - 1}/${LIMIT}` };
    const answer = await rawRequest(target, 'PUT', `${UPLOADS}/${id}`, headers, async (write) => {
      for (let sent = 0; sent < 64 * LIMIT; sent += piece.length) {
        if (!(await write(piece))) return;
      }
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    // Cut off at the limit: the 64 MiB never went out, only what socket buffers took.
    expect(answer.sentBeforeAnswer).toBeLessThan(16 * LIMIT);

    const appliance = harness.appliance();
    appliance.token = target.token;
    expect((await appliance.status('GET', `${UPLOADS}/${id}`, {})).status).toBe(404);
    const customerId = await harness.customerId({ name: 'acme' } as never);
    const directory = path.join(harness.runtime.paths.areasDir, String(customerId), TM_GUID);
    const left = await readdir(path.join(directory, 'forensics')).catch(() => []);
    expect(left.filter((name) => name.includes(id))).toEqual([]);
  });

  it('refuses a form with two files (400): an upload carries exactly one', async () => {
    const boundary = 'tmsp-two-files';
    const part = (name: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/zip\r\n\r\nPK...\r\n`;
    const appliance = harness.appliance();
    appliance.token = target.token;
    const answer = await appliance.status('POST', UPLOADS, {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `${part('a.zip')}${part('b.zip')}--${boundary}--\r\n`,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toContain('one file per upload');
  });
});
