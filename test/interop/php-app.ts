import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const HOST = '127.0.0.1';

/** Why the PHP side cannot run here, or null when php with curl and DOM, and phpCAS, are there. */
export function phpMissing(): string | null {
  const php = spawnSync('php', [
    '-r',
    'exit(extension_loaded("curl") && class_exists("DOMDocument") ? 0 : 3);',
  ]);
  if (php.error !== undefined) return 'php is not installed (Debian package php-cli)';
  if (php.status !== 0) return 'php lacks the curl or DOM extension (php-curl, php-xml)';
  if (!existsSync('/usr/share/php/CAS.php')) return 'phpCAS is not installed (php-cas)';
  return null;
}

/** A port the OS has just handed out on 127.0.0.1, for a server that must be told its port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTPS front for a plain HTTP server: phpCAS accepts proxy-granting tickets only over
 * HTTPS, and CAS calls callbacks and sends logout requests only over verified TLS. Host and
 * path pass through unchanged; X-Forwarded-Proto tells phpCAS the request came in over HTTPS,
 * as any TLS-terminating reverse proxy would.
 */
export async function startTlsProxy(
  tls: { certificate: string; privateKey: string },
  targetPort: number,
): Promise<Running> {
  const server = https.createServer({ cert: tls.certificate, key: tls.privateKey }, (req, res) => {
    const upstream = http.request(
      {
        host: HOST,
        port: targetPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-proto': 'https' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${error.message}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PhpServer extends Running {
  /** What php -S wrote so far: its access log and any PHP errors, for failure messages. */
  output(): string;
}

/**
 * php -S serving the fixture pages. Several workers, because a page that validates a ticket
 * waits on CAS while CAS calls the proxy callback on the same server.
 */
export async function startPhpServer(options: {
  port: number;
  documentRoot: string;
  sessionDirectory: string;
  env: Record<string, string>;
}): Promise<PhpServer> {
  const child = spawn(
    'php',
    [
      '-d',
      `session.save_path=${options.sessionDirectory}`,
      '-d',
      'display_errors=stderr',
      '-d',
      'error_reporting=E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED',
      '-S',
      `${HOST}:${options.port}`,
      '-t',
      options.documentRoot,
    ],
    {
      env: { ...process.env, ...options.env, PHP_CLI_SERVER_WORKERS: '4' },
      // Its own process group, so closing ends the workers php -S forks as well.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    // A worker can outlive a php -S that died on its own.
    signalGroup(child, 'SIGKILL');
  };
  try {
    await waitForPort(options.port, child, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { port: options.port, close, output: () => output };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // The whole group is gone already.
  }
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`php -S exited: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, HOST);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`php -S did not listen on ${port}: ${output()}`);
}
