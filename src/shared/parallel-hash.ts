import { Worker } from 'node:worker_threads';

/**
 * Hashing on a second thread. A push's bytes are hashed twice (the protocol's MD5 and the
 * SHA-256 kept with each stored file); on the connection's own thread that is a third of the
 * work of a large push, beside decryption. Bytes go over in batches of about 1 MiB, and a
 * digest is a promise that settles once the thread has hashed everything before it.
 */
export interface ParallelHash {
  update(data: Buffer): Promise<void>;
  digest(): Promise<Buffer>;
  /** Forgets a hash whose digest will never be asked for (a failed file). */
  discard(): void;
}

const BATCH = 1024 * 1024;
/** Batches on their way before `update` waits, so a slow thread cannot make memory grow. */
const MAX_IN_FLIGHT = 16;

// The thread's code: a map of running hashes, fed in order by one port.
const THREAD = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ({ id, op, algorithm, data }) => {
  try {
    if (op === 'start') hashes.set(id, createHash(algorithm));
    else if (op === 'update') { hashes.get(id).update(data); parentPort.postMessage({ id, op }); }
    else if (op === 'digest') {
      const digest = hashes.get(id).digest();
      hashes.delete(id);
      parentPort.postMessage({ id, op, digest });
    } else if (op === 'drop') hashes.delete(id);
  } catch (error) {
    parentPort.postMessage({ id, op: 'error', message: String(error) });
  }
});
`;

interface Reply {
  id: number;
  op: 'update' | 'digest' | 'error';
  digest?: Uint8Array;
  message?: string;
}

interface Job {
  onUpdate: () => void;
  onDigest: (digest: Buffer) => void;
  onError: (error: Error) => void;
}

let thread: Worker | null = null;
let nextId = 1;
const jobs = new Map<number, Job>();

function hashThread(): Worker {
  if (thread !== null) return thread;
  const worker = new Worker(THREAD, { eval: true });
  worker.unref();
  worker.on('message', (reply: Reply) => {
    const job = jobs.get(reply.id);
    if (job === undefined) return;
    if (reply.op === 'update') job.onUpdate();
    else if (reply.op === 'digest') job.onDigest(Buffer.from(reply.digest ?? []));
    else job.onError(new Error(reply.message));
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', () => failAll(new Error('the hashing thread stopped')));
  thread = worker;
  return worker;
}

function failAll(error: Error): void {
  thread = null;
  for (const job of jobs.values()) job.onError(error);
  jobs.clear();
}

/** A hash computed on the shared hashing thread: 'md5', 'sha1', 'sha256'. */
export function parallelHash(algorithm: string): ParallelHash {
  return new ThreadHash(hashThread(), algorithm);
}

class ThreadHash implements ParallelHash {
  private readonly id = nextId++;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private inFlight = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private finish: { resolve: (digest: Buffer) => void; reject: (error: Error) => void } | null =
    null;

  constructor(
    private readonly worker: Worker,
    algorithm: string,
  ) {
    jobs.set(this.id, {
      onUpdate: () => {
        this.inFlight--;
        this.settle();
      },
      onDigest: (digest) => {
        jobs.delete(this.id);
        this.finish?.resolve(digest);
      },
      onError: (error) => {
        this.failure = error;
        jobs.delete(this.id);
        this.finish?.reject(error);
        this.settle();
      },
    });
    worker.postMessage({ id: this.id, op: 'start', algorithm });
  }

  async update(data: Buffer): Promise<void> {
    this.throwIfFailed();
    this.pending.push(data);
    this.pendingLength += data.length;
    if (this.pendingLength < BATCH) return;
    this.send();
    while (this.inFlight > MAX_IN_FLIGHT && !this.failed()) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.throwIfFailed();
  }

  digest(): Promise<Buffer> {
    if (this.failure !== null) return Promise.reject(this.failure);
    this.send();
    return new Promise<Buffer>((resolve, reject) => {
      this.finish = { resolve, reject };
      this.worker.postMessage({ id: this.id, op: 'digest' });
    });
  }

  discard(): void {
    if (!jobs.delete(this.id)) return;
    this.pending = [];
    this.worker.postMessage({ id: this.id, op: 'drop' });
  }

  private send(): void {
    if (this.pendingLength === 0) return;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLength = 0;
    this.inFlight++;
    // Small buffers share Node's pool: only a buffer that owns its memory may be handed over.
    const owned = batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength;
    const transfer = owned ? [batch.buffer] : [];
    this.worker.postMessage({ id: this.id, op: 'update', data: batch }, transfer);
  }

  private settle(): void {
    const waiting = this.wake;
    this.wake = null;
    waiting?.();
  }

  private failed(): boolean {
    return this.failure !== null;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}
