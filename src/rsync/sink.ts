/**
 * Where a receive session puts files. The protocol engine knows nothing of customers, areas or
 * databases: it asks its sink for the copy already held and for a place to write a new one.
 * Names are relative, '/'-separated and already checked by the file-list rules.
 */
export interface ReceiveSink {
  /** Makes sure a directory exists (a directory entry of the file list). */
  prepareDirectory(name: string): Promise<void>;
  /** The copy held under this name (or a partial one kept from an interrupted push), if any. */
  held(name: string): Promise<HeldFile | null>;
  /** Starts a new version of the file; nothing is visible under its name until commit. */
  begin(name: string): Promise<IncomingFile>;
}

export interface HeldFile {
  readonly size: number;
  /** Modification time in whole seconds, as rsync compares it. */
  readonly mtime: number;
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface IncomingFile {
  write(data: Buffer): Promise<void>;
  /**
   * Makes the verified file durable under its name and records it. Only after this resolves
   * may the client be told the file is stored (it may then delete its own copy).
   */
  commit(mtime: number): Promise<void>;
  /** Drops the new version; with keepPartial what arrived is kept as the basis of a resume. */
  discard(keepPartial: boolean): Promise<void>;
}

/**
 * The sink seen from a destination directory inside it: the client's `host:dir/` puts every
 * list name under `dir`. The destination is always a directory here; rsync's rename of a lone
 * file to a destination file name is not offered.
 */
export function underDirectory(sink: ReceiveSink, directory: string): ReceiveSink {
  const parts = directory.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0) return sink;
  const prefix = parts.join('/');
  const within = (name: string): string => (name === '.' ? prefix : `${prefix}/${name}`);
  return {
    prepareDirectory: (name) => sink.prepareDirectory(within(name)),
    held: (name) => sink.held(within(name)),
    begin: (name) => sink.begin(within(name)),
  };
}
