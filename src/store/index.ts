/** The store port's public surface. Adapters are imported by their own path (`reflow/store/local`), not from here. */
export type { ObjectStore } from './port.js';
export * from './types.js';
export { validateKey, validateBucketName, MAX_KEY_BYTES } from './validate.js';
export { objectEvent, type ObjectEventDetail } from './events.js';
