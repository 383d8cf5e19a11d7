import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { json, type ApplianceClient } from '../status/appliance-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { TM_GUID } from './forensic-harness.js';

const PACKAGE = Buffer.alloc(1000, 5);
const SHA256 = createHash('sha256').update(PACKAGE).digest('hex');

describe.each(ENGINES)('a forensic PUT whose connection drops at once (%s)', (engine) => {
  let harness: StatusHarness;
  let appliance: ApplianceClient;
  let token: string;

  beforeAll(async () => {
    harness = await statusHarness(engine);
    appliance = harness.appliance();
    token = await appliance.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  /** Sends the head and 300 bytes of a 1000-byte range, then closes the socket straight away. */
  function droppedPut(id: string): Promise<void> {
    const url = new URL(harness.endpoints.status.url);
    const head =
      `PUT /v1/forensic-uploads/${id} HTTP/1.1\r\nHost: localhost\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Range: bytes 0-999/1000\r\nContent-Length: 1000\r\n\r\n`;
    return new Promise((resolve) => {
      const socket = tls.connect(
        { host: url.hostname, port: Number(url.port), ca: harness.ca, servername: 'localhost' },
        () => {
          socket.write(head);
          socket.write(PACKAGE.subarray(0, 300), () => {
            socket.destroy();
            resolve();
          });
        },
      );
      socket.on('error', () => undefined);
    });
  }

  it(
    'leaves the upload answering, to be resumed, finished and asked after',
    { timeout: 30_000 },
    async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const announced = await appliance.status(
          'POST',
          '/v1/forensic-uploads',
          json({
            guid: TM_GUID,
            endpoint: 'wks-7',
            fileName: 'wks-7.zip',
            size: 1000,
            sha256: SHA256,
          }),
        );
        const id: string = announced.json.id;
        await droppedPut(id);
        await sleep(200);

        const state = await appliance.status('GET', `/v1/forensic-uploads/${id}`, {});
        expect(state.status).toBe(200);
        const offset: number = state.json.offset;
        const rest = await appliance.status('PUT', `/v1/forensic-uploads/${id}`, {
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `bytes ${offset}-999/1000`,
          },
          body: PACKAGE.subarray(offset).toString('latin1'),
        });
        expect(rest.status, rest.text).toBe(201);

        // An appliance that lost that answer asks again: complete, and which case it opened.
        const finished = await appliance.status('GET', `/v1/forensic-uploads/${id}`, {});
        expect(finished.status).toBe(200);
        expect(finished.json).toMatchObject({ state: 'complete', offset: 1000 });
        expect(finished.json.caseId).toBe(rest.json.caseId);
      }
    },
  );
  it('lets one range at a time write, whichever status server process takes it', async () => {
    const announced = await appliance.status(
      'POST',
      '/v1/forensic-uploads',
      json({ guid: TM_GUID, endpoint: 'wks-8', fileName: 'wks-8.zip', size: 1000, sha256: SHA256 }),
    );
    const id: string = announced.json.id;
    const db = harness.runtime.store.db;
    const now = harness.clock.now().getTime();
    const put = () =>
      appliance.status('PUT', `/v1/forensic-uploads/${id}`, {
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': 'bytes 0-999/1000',
        },
        body: PACKAGE.toString('latin1'),
      });

    // Another process writes a range of it now.
    const lease = { writer: 'elsewhere', writerUntil: now + 60_000 };
    await db.updateTable('forensicUploads').set(lease).where('id', '=', id).execute();
    const refused = await put();
    expect(refused.status).toBe(409);
    expect(refused.json.message).toContain('another range of this upload is being written');

    // That process died: its lease lapses and the upload goes on.
    const lapsed = { writer: 'elsewhere', writerUntil: now - 1 };
    await db.updateTable('forensicUploads').set(lapsed).where('id', '=', id).execute();
    expect((await put()).status).toBe(201);
  });
});
