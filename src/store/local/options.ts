/** FsObjectStore options: the loose public shape, compiled once into the strict one the adapter reads. */
import type { EventBus } from '../../bus/port.js';
import { ReflowError } from '../../errors.js';

export interface FsObjectStoreOptions {
  /** The store's directory: `store.db` (metadata), `blobs/` (content-addressed bytes), `tmp/` (bodies arriving). */
  dir: string;
  /** Where object events go (through the outbox). */
  bus: EventBus;
  /** Default `default`. */
  eventBusName?: string;
  /**
   * Default true: a blob file's bytes and its directory entry are fsynced before the metadata names it, so a power
   * loss never leaves a version whose bytes are missing; and a write is answered only once the metadata's
   * write-ahead log holding its commit is fsynced too (one fsync shared by all writes committed meanwhile), so what
   * was acknowledged survives a power loss. False is for tests and scratch data: nothing is fsynced, and a process
   * crash is still safe (the page cache survives it) but a power loss may lose recent writes.
   */
  fsync?: boolean;
  /**
   * Bodies up to this many bytes are kept in the metadata database instead of a file of their own (default 64 KiB;
   * 0 gives every blob a file). See blobs.ts for why.
   */
  inlineMaxBytes?: number;
  /** Requester in events when the caller names none (default: the bus's account, else 000000000000). */
  account?: string;
  /** Largest PutObject / UploadPart body in bytes (default 5 GiB, S3's). */
  maxObjectSize?: number;
  /** Smallest part, all but the last, that CompleteMultipartUpload accepts (default 5 MiB, S3's). */
  minPartSize?: number;
  /** Events per PutEvents call of the outbox relay (default 10, EventBridge's limit). */
  relayBatchSize?: number;
  /** Told when the bus refuses or fails a relay batch (the relay keeps the events and retries). */
  onRelayError?: (err: Error) => void;
}

export interface CompiledFsObjectStoreOptions {
  dir: string;
  bus: EventBus;
  eventBusName: string;
  fsync: boolean;
  inlineMaxBytes: number;
  account: string;
  maxObjectSize: number;
  minPartSize: number;
  relayBatchSize: number;
  onRelayError: ((err: Error) => void) | undefined;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Above this an inline body would cost more in the WAL and its checkpoint than a file does. */
const MAX_INLINE = 1 * MiB;

export function compileFsObjectStoreOptions(options: FsObjectStoreOptions): CompiledFsObjectStoreOptions {
  if (!options || typeof options.dir !== 'string' || options.dir === '') {
    throw new ReflowError('InvalidConfiguration', 'FsObjectStore needs a directory (dir).', { field: 'dir' });
  }
  if (!options.bus || typeof options.bus.putEvents !== 'function') {
    throw new ReflowError('InvalidConfiguration', 'FsObjectStore needs the bus its object events go to (bus).', { field: 'bus' });
  }
  const compiled: CompiledFsObjectStoreOptions = {
    dir: options.dir,
    bus: options.bus,
    eventBusName: options.eventBusName ?? 'default',
    fsync: options.fsync ?? true,
    inlineMaxBytes: options.inlineMaxBytes ?? 64 * 1024,
    account: options.account ?? process.env.REFLOW_ACCOUNT ?? '000000000000',
    maxObjectSize: options.maxObjectSize ?? 5 * GiB,
    minPartSize: options.minPartSize ?? 5 * MiB,
    relayBatchSize: options.relayBatchSize ?? 10,
    onRelayError: options.onRelayError,
  };
  for (const key of ['maxObjectSize', 'minPartSize', 'relayBatchSize'] as const) {
    if (!Number.isSafeInteger(compiled[key]) || compiled[key] <= 0) {
      throw new ReflowError('InvalidConfiguration', `${key} must be a positive integer, got ${compiled[key]}`, { field: key });
    }
  }
  if (!Number.isSafeInteger(compiled.inlineMaxBytes) || compiled.inlineMaxBytes < 0 || compiled.inlineMaxBytes > MAX_INLINE) {
    throw new ReflowError('InvalidConfiguration', `inlineMaxBytes must be an integer from 0 to ${MAX_INLINE}, got ${compiled.inlineMaxBytes}`, { field: 'inlineMaxBytes' });
  }
  return compiled;
}
