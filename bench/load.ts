import https from 'node:https';

/**
 * Sends `total` GET requests over keep-alive HTTPS with `concurrency` in flight, and returns
 * requests per second. Server and client share the machine, the same way for every subject.
 */
export async function requestsPerSecond(
  url: string,
  ca: string,
  total: number,
  concurrency: number,
): Promise<number> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  let issued = 0;
  const started = process.hrtime.bigint();

  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued += 1;
      await get(url, agent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return total / seconds;
}

function get(url: string, agent: https.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`${url} answered ${String(response.statusCode)}`));
        });
      })
      .on('error', reject);
  });
}
