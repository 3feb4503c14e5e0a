/**
 * A writer process for the crash test: puts objects through the S3 adapter (eight at a time) until it is killed (a key per put),
 * printing `ACK <key> <versionId>` for each put the adapter acknowledged. Argument: JSON with endpoint,
 * credentials, bucket and the bus file.
 */
import { Readable } from 'node:stream';
import { SqliteEventBus } from '../../../src/bus/sqlite/index.js';
import { S3ObjectStore } from '../../../src/store/s3/index.js';

interface Args {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  bucketPrefix: string;
  busPath: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const bus = SqliteEventBus.open({ path: args.busPath });
const store = S3ObjectStore.open({
  bus,
  endpoint: args.endpoint,
  credentials: args.credentials,
  forcePathStyle: true,
  bucketPrefix: args.bucketPrefix,
  onError: () => undefined,
});

let n = 0;
async function writer(): Promise<never> {
  for (;;) {
    const i = n++;
    // A key per put: moto loses versions of one key written concurrently.
    const key = `k${i}`;
    const r = await store.putObject(args.bucket, key, Readable.from([Buffer.from(`body ${i}`)]));
    process.stdout.write(`ACK ${key} ${r.versionId}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, writer));
