/** The S3 adapter of the store port; import it by its own path (`reflow/store/s3`), never from the port. */
export { S3ObjectStore } from './s3-object-store.js';
export { S3ChangeScanner, type ScanReport } from './scanner.js';
export type { S3ObjectStoreOptions, S3ScanOptions, S3Credentials } from './options.js';
