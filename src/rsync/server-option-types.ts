/** What a client's server arguments ask of a receiving server, as `parseServerArgs` reads them. */

/** How the arguments arrived: daemon option values still carry the client's escaping. */
export type Transport = 'ssh' | 'daemon';

export type AppendMode = 'none' | 'verify';
export type DeleteTiming = 'before' | 'during' | 'delay' | 'after';
/** Checksum names rsync ≥ 3.2 knows; `auto` leaves the choice to the protocol version. */
export type ChecksumName = 'xxh128' | 'xxh3' | 'xxh64' | 'md5' | 'md4' | 'sha1' | 'none' | 'auto';
export type CompressName = 'zstd' | 'lz4' | 'zlibx' | 'zlib';

/**
 * `--checksum-choice=TRANSFER[,FILE]`: block and whole-file sums, then `-c` file-list sums.
 * An explicit choice is not negotiated; a transfer sum of `none` makes rsync send whole files.
 */
export interface ChecksumChoice {
  transfer: ChecksumName;
  file: ChecksumName;
}

/** What the client asked the receiving side to do, after rsync's own cross-option rules. */
export interface ReceiverOptions {
  verbose: number;
  dryRun: boolean;
  recursive: boolean;
  /** `-d`, or implied by `-r`: directories are transferred as entries. */
  dirs: boolean;
  relativePaths: boolean;
  /** Only meaningful with `relativePaths`; false otherwise. */
  impliedDirs: boolean;
  preserveLinks: boolean;
  preserveHardLinks: boolean;
  preservePerms: boolean;
  preserveExecutability: boolean;
  preserveTimes: boolean;
  /** `-U`: the file list carries access times. */
  preserveAtimes: boolean;
  /** `-o`: the file list carries uids (and, without `numericIds`, user names). */
  preserveUid: boolean;
  preserveGid: boolean;
  /** `-D` and `--devices`: the file list carries device numbers. */
  preserveDevices: boolean;
  preserveSpecials: boolean;
  numericIds: boolean;
  /** `-c`: the file list carries a whole-file checksum per regular file. */
  alwaysChecksum: boolean;
  /** Null: negotiated (client capability `v`) or the protocol's default. */
  checksumChoice: ChecksumChoice | null;
  /** `--checksum-seed`; 0 or null lets the server pick (rsync uses the time). */
  checksumSeed: number | null;
  compress: boolean;
  /** Null with `compress`: negotiated (client capability `v`), else zlib. */
  compressChoice: CompressName | null;
  compressLevel: number | null;
  wholeFile: boolean;
  /** `-B`: fixed block length for the sums the receiver sends. */
  blockSize: number | null;
  ignoreTimes: boolean;
  sizeOnly: boolean;
  update: boolean;
  ignoreExisting: boolean;
  /** `--existing`: only update files the receiver already has. */
  ignoreNonExisting: boolean;
  maxSize: number | null;
  minSize: number | null;
  /** Seconds; negative means nanosecond comparison. Null: rsync's default (0). */
  modifyWindow: number | null;
  /** Keep partly received files (not set with `inplace`, as in rsync). */
  partial: boolean;
  /** Relative to the destination directory, cleaned; null when none. */
  partialDir: string | null;
  delayUpdates: boolean;
  /** Also set by `append`: rsync appends in place. */
  inplace: boolean;
  append: AppendMode;
  /** The client deletes each file it sent once the receiver reports it done. */
  removeSourceFiles: boolean;
  delete: boolean;
  /** Null: rsync's protocol default (before below protocol 30, during from 30). */
  deleteTiming: DeleteTiming | null;
  deleteExcluded: boolean;
  /** Most deletions allowed; 0 means none (the client sends -1 for `--max-delete=0`). */
  maxDelete: number | null;
  ignoreErrors: boolean;
  cvsExclude: boolean;
  /** `-m`: the receiver gets the filter list and offers no incremental recursion. */
  pruneEmptyDirs: boolean;
  safeLinks: boolean;
  mkpath: boolean;
  /** Seconds of I/O silence the client tolerates; 0 for none. */
  timeout: number;
  /** `--log-format` as the client sends it (`%i`, `%i%I`, `%o`, `X`): what to itemize. */
  logFormat: string | null;
}

export interface ServerRequest {
  options: ReceiverOptions;
  /** Letters after `-e.` (protocol ≥ 30 clients): `i L s f x C I v u` today. */
  clientCapabilities: ReadonlySet<string>;
  /** Set when the client runs a pre-release protocol (`-e32.1…`). */
  clientPreRelease: { protocol: number; subprotocol: number } | null;
  /** Whether rsync would offer incremental recursion with these options and capabilities. */
  incRecursive: boolean;
  /** As sent: relative to the user's area over SSH, starting with the module over the daemon. */
  destination: string;
  /** Options accepted without effect here, as spelled by the client, for the log. */
  ignoredOptions: string[];
}

/** More than any real client sends; each argument is bounded too. */
export const MAX_SERVER_ARGS = 256;
export const MAX_ARG_LENGTH = 4096;
/** rsync's largest block from protocol 30; older protocols allow 512 MiB, not taken here. */
export const MAX_BLOCK_SIZE = 1 << 17;

/** rsync's defaults before any option is read. */
export function receiverDefaults(): ReceiverOptions {
  return {
    verbose: 0,
    dryRun: false,
    recursive: false,
    dirs: false,
    relativePaths: false,
    impliedDirs: true,
    preserveLinks: false,
    preserveHardLinks: false,
    preservePerms: false,
    preserveExecutability: false,
    preserveTimes: false,
    preserveAtimes: false,
    preserveUid: false,
    preserveGid: false,
    preserveDevices: false,
    preserveSpecials: false,
    numericIds: false,
    alwaysChecksum: false,
    checksumChoice: null,
    checksumSeed: null,
    compress: false,
    compressChoice: null,
    compressLevel: null,
    wholeFile: false,
    blockSize: null,
    ignoreTimes: false,
    sizeOnly: false,
    update: false,
    ignoreExisting: false,
    ignoreNonExisting: false,
    maxSize: null,
    minSize: null,
    modifyWindow: null,
    partial: false,
    partialDir: null,
    delayUpdates: false,
    inplace: false,
    append: 'none',
    removeSourceFiles: false,
    delete: false,
    deleteTiming: null,
    deleteExcluded: false,
    maxDelete: null,
    ignoreErrors: false,
    cvsExclude: false,
    pruneEmptyDirs: false,
    safeLinks: false,
    mkpath: false,
    timeout: 0,
    logFormat: null,
  };
}
