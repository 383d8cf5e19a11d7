import type { Generated } from 'kysely';

/** Forensic data packages: uploads still arriving, and the cases finished ones open. */
export interface ForensicsSchema {
  forensicUploads: ForensicUploadTable;
  forensicCases: ForensicCaseTable;
}

/** A resumable upload of one package, until its last byte arrives (PROTOCOLS.md §3). */
export interface ForensicUploadTable {
  /** Random: it names the upload in URLs and the partial file on disk. */
  id: string;
  customerId: number;
  /** The uploading Threat Mitigator. */
  productId: number;
  endpoint: string;
  fileName: string;
  declaredSize: number;
  /** Lower-case hex SHA-256 the appliance announced for the whole file. */
  declaredSha256: string;
  /** Bytes on disk and acknowledged: the next range must start here. */
  receivedBytes: number;
  startedAt: number;
  updatedAt: number;
  /**
   * The range being written now, by whichever status server process: one writer at a time,
   * across processes that share the areas. A lease: it lapses at writerUntil if its process died.
   */
  writer: string | null;
  writerUntil: number | null;
}

/** PRODUCT.md's case states, in the order a case moves through them. */
export type CaseState =
  | 'new case received'
  | 'administrator notified'
  | 'threat sample downloaded'
  | 'case id assigned'
  | 'pattern uploaded'
  | 'pattern downloaded by TM'
  | 'deployed'
  | 'failed';

/** A forensic data package received complete and verified, and what became of it. */
export interface ForensicCaseTable {
  id: Generated<number>;
  customerId: number;
  /** The Threat Mitigator that uploaded the package. */
  productId: number;
  /** The endpoint the package was taken from, as the appliance named it. */
  endpoint: string;
  /** The package's name as the appliance sent it. */
  fileName: string;
  /** Where the package lies, relative to the areas directory. */
  filePath: string;
  size: number;
  sha256: string;
  receivedAt: number;
  status: CaseState;
  /** The analyst's own case number, once one is assigned. */
  analystCaseId: string | null;
  updatedAt: number;
  /** The upload that brought the package; null for one pushed with rsync. */
  uploadId: string | null;
}
