/**
 * Reflow's S3 endpoint through boto3, unchanged, in two generations: 1.43 (the image's `python3`: flexible
 * checksums, CRC32 on every upload by default) and 1.26 (Debian's `/usr/bin/python3`: no default checksums). The
 * Python script asserts what boto3 sees; this side then checks what the store holds, through the store port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpoint, missingClient, ACCESS_KEY_ID, SECRET_ACCESS_KEY, type RunningEndpoint } from './s3-endpoint.js';
import { run } from './clients.js';

const PYTHONS = [
  { label: 'boto3 1.43 (python3)', python: 'python3', prefix: 'boto-new' },
  { label: 'boto3 1.26 (/usr/bin/python3)', python: '/usr/bin/python3', prefix: 'boto-old' },
].map((p) => ({ ...p, missing: missingClient(p.python, ['-c', 'import boto3']) }));

// One script per area; each prints one JSON line of facts for this side to cross-check, and asserts the rest.
const PRELUDE = `
import json, os, sys, hashlib, base64, urllib.request, urllib.error
import boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError
from boto3.s3.transfer import TransferConfig

ENDPOINT, PREFIX, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
def client(secret=${JSON.stringify(SECRET_ACCESS_KEY)}, key=${JSON.stringify(ACCESS_KEY_ID)}):
    return boto3.client('s3', endpoint_url=ENDPOINT, region_name='us-east-1', aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1, 'mode': 'standard'}))
s3 = client()
def code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response['Error']['Code']
    raise AssertionError('no error from %s' % fn)
`;

const SCRIPTS: Record<string, string> = {
  basics: `
b = PREFIX + '-basics'
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key='hello.txt', Body=b'hello boto', ContentType='text/plain', Metadata={'site': 'lab-2'})
got = s3.get_object(Bucket=b, Key='hello.txt')
assert got['Body'].read() == b'hello boto'
assert got['ContentType'] == 'text/plain' and got['Metadata'] == {'site': 'lab-2'}, got
assert s3.get_object(Bucket=b, Key='hello.txt', Range='bytes=6-')['Body'].read() == b'boto'
for i in range(25):
    s3.put_object(Bucket=b, Key='many/%02d' % i, Body=str(i).encode())
keys = [o['Key'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket=b, Prefix='many/', PaginationConfig={'PageSize': 10}) for o in page.get('Contents', [])]
assert keys == ['many/%02d' % i for i in range(25)], keys
v1 = [o['Key'] for page in s3.get_paginator('list_objects').paginate(Bucket=b, PaginationConfig={'PageSize': 7}) for o in page.get('Contents', [])]
assert len(v1) == 26, v1
top = s3.list_objects_v2(Bucket=b, Delimiter='/')
assert [p['Prefix'] for p in top['CommonPrefixes']] == ['many/'] and [o['Key'] for o in top['Contents']] == ['hello.txt']
s3.copy_object(Bucket=b, Key='copy.txt', CopySource={'Bucket': b, 'Key': 'hello.txt'})
assert s3.get_object(Bucket=b, Key='copy.txt')['Body'].read() == b'hello boto'
res = s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'many/%02d' % i} for i in range(20)]})
assert len(res['Deleted']) == 20
url = s3.generate_presigned_url('get_object', Params={'Bucket': b, 'Key': 'hello.txt'}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == b'hello boto'
print(json.dumps({'bucket': b, 'keys': sorted(o['Key'] for o in s3.list_objects_v2(Bucket=b)['Contents'])}))
`,
  versions: `
b = PREFIX + '-versions'
s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'Status': 'Enabled'})
assert s3.get_bucket_versioning(Bucket=b)['Status'] == 'Enabled'
r1 = s3.put_object(Bucket=b, Key='m.csv', Body=b'one')
r2 = s3.put_object(Bucket=b, Key='m.csv', Body=b'two')
assert r1['VersionId'] != r2['VersionId']
assert s3.get_object(Bucket=b, Key='m.csv', VersionId=r1['VersionId'])['Body'].read() == b'one'
d = s3.delete_object(Bucket=b, Key='m.csv')
assert d['DeleteMarker'] is True
assert code(s3.get_object, Bucket=b, Key='m.csv') == 'NoSuchKey'
assert code(s3.get_object, Bucket=b, Key='m.csv', VersionId='nonexistent') in ('NoSuchVersion', 'InvalidArgument')
lv = s3.list_object_versions(Bucket=b)
assert [v['VersionId'] for v in lv['Versions']] == [r2['VersionId'], r1['VersionId']], lv
assert [(m['VersionId'], m['IsLatest']) for m in lv['DeleteMarkers']] == [(d['VersionId'], True)]
print(json.dumps({'bucket': b, 'versions': [r2['VersionId'], r1['VersionId']], 'marker': d['VersionId']}))
`,
  multipart: `
b = PREFIX + '-multipart'
s3.create_bucket(Bucket=b)
src = os.path.join(WORK, PREFIX + '-big.bin')
data = os.urandom(12 * 1024 * 1024 + 77)
open(src, 'wb').write(data)
s3.upload_file(src, b, 'big.bin', Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=3))
head = s3.head_object(Bucket=b, Key='big.bin')
assert head['ContentLength'] == len(data) and head['ETag'].endswith('-3"'), head
dst = os.path.join(WORK, PREFIX + '-big.back')
s3.download_file(b, 'big.bin', dst, Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
assert open(dst, 'rb').read() == data
# The low-level calls, and an upload left unfinished, then aborted.
up = s3.create_multipart_upload(Bucket=b, Key='manual.bin')
p1 = s3.upload_part(Bucket=b, Key='manual.bin', UploadId=up['UploadId'], PartNumber=1, Body=b'a' * (5 * 1024 * 1024))
p2 = s3.upload_part(Bucket=b, Key='manual.bin', UploadId=up['UploadId'], PartNumber=2, Body=b'tail')
parts = s3.list_parts(Bucket=b, Key='manual.bin', UploadId=up['UploadId'])['Parts']
assert [(p['PartNumber'], p['Size']) for p in parts] == [(1, 5 * 1024 * 1024), (2, 4)]
assert code(s3.complete_multipart_upload, Bucket=b, Key='manual.bin', UploadId=up['UploadId'],
    MultipartUpload={'Parts': [{'PartNumber': 2, 'ETag': p2['ETag']}, {'PartNumber': 1, 'ETag': p1['ETag']}]}) == 'InvalidPartOrder'
s3.complete_multipart_upload(Bucket=b, Key='manual.bin', UploadId=up['UploadId'],
    MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p1['ETag']}, {'PartNumber': 2, 'ETag': p2['ETag']}]})
assert s3.get_object(Bucket=b, Key='manual.bin', Range='bytes=-4')['Body'].read() == b'tail'
left = s3.create_multipart_upload(Bucket=b, Key='left.bin')
assert [u['UploadId'] for u in s3.list_multipart_uploads(Bucket=b).get('Uploads', [])] == [left['UploadId']]
s3.abort_multipart_upload(Bucket=b, Key='left.bin', UploadId=left['UploadId'])
assert code(s3.list_parts, Bucket=b, Key='left.bin', UploadId=left['UploadId']) == 'NoSuchUpload'
print(json.dumps({'bucket': b, 'size': len(data), 'md5': hashlib.md5(data).hexdigest()}))
`,
  checksums: `
b = PREFIX + '-checksums'
s3.create_bucket(Bucket=b)
body = b'checksummed body'
sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
r = s3.put_object(Bucket=b, Key='sha.txt', Body=body, ChecksumAlgorithm='SHA256')
assert r.get('ChecksumSHA256') == sha, r
h = s3.head_object(Bucket=b, Key='sha.txt', ChecksumMode='ENABLED')
assert h.get('ChecksumSHA256') == sha, h
r = s3.put_object(Bucket=b, Key='crc.txt', Body=body, ChecksumAlgorithm='CRC32')
crc = r.get('ChecksumCRC32')
assert crc, r
assert s3.get_object(Bucket=b, Key='crc.txt', ChecksumMode='ENABLED').get('ChecksumCRC32') == crc
assert code(s3.put_object, Bucket=b, Key='bad-crc.txt', Body=body, ChecksumCRC32='AAAAAA==') == 'BadDigest'
assert code(s3.put_object, Bucket=b, Key='bad-sha.txt', Body=body, ChecksumSHA256=base64.b64encode(b'x' * 32).decode()) == 'BadDigest'
wrong_md5 = base64.b64encode(hashlib.md5(b'other').digest()).decode()
assert code(s3.put_object, Bucket=b, Key='bad-md5.txt', Body=body, ContentMD5=wrong_md5) == 'BadDigest'
print(json.dumps({'bucket': b, 'sha256': sha, 'crc32': crc}))
`,
  errors: `
b = PREFIX + '-errors'
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key='keep.txt', Body=b'keep')
assert code(s3.get_object, Bucket=b, Key='absent') == 'NoSuchKey'
assert code(s3.head_object, Bucket=b, Key='absent') == '404'
assert code(s3.list_objects_v2, Bucket=PREFIX + '-no-such-bucket') == 'NoSuchBucket'
assert code(s3.create_bucket, Bucket=b) == 'BucketAlreadyOwnedByYou'
assert code(s3.create_bucket, Bucket='xy') == 'InvalidBucketName'
assert code(s3.delete_bucket, Bucket=b) == 'BucketNotEmpty'
assert code(s3.put_object, Bucket=b, Key='a/../b', Body=b'x') == 'InvalidObjectName'
assert code(s3.put_object, Bucket=b, Key='k' * 1025, Body=b'x') == 'KeyTooLongError'
assert code(s3.get_object, Bucket=b, Key='keep.txt', Range='bytes=100-200') == 'InvalidRange'
assert code(s3.get_object, Bucket=b, Key='keep.txt', IfMatch='"0000"') == 'PreconditionFailed'
if 'IfNoneMatch' in s3.meta.service_model.operation_model('PutObject').input_shape.members:  # boto3 >= 1.35
    assert code(s3.put_object, Bucket=b, Key='keep.txt', Body=b'new', IfNoneMatch='*') == 'PreconditionFailed'
assert code(client(secret='wrong').put_object, Bucket=b, Key='sig.txt', Body=b'x') == 'SignatureDoesNotMatch'
assert code(client(key='AKIANOBODY').list_objects_v2, Bucket=b) == 'InvalidAccessKeyId'
print(json.dumps({'bucket': b}))
`,
};

let endpoint: RunningEndpoint;
let work: string;

before(async () => {
  endpoint = await startEndpoint();
  work = mkdtempSync(join(tmpdir(), 'reflow-boto3-'));
});

after(async () => {
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function python(interpreter: string, prefix: string, name: string): Promise<Record<string, any>> {
  const file = join(work, `${prefix}-${name}.py`);
  writeFileSync(file, PRELUDE + SCRIPTS[name]);
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  delete env.AWS_ENDPOINT_URL;
  const r = await run(interpreter, [file, endpoint.url, prefix, work], { env });
  assert.equal(r.status, 0, `${name} failed:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, any>;
}

for (const p of PYTHONS) {
  describe(p.label, { skip: p.missing }, () => {
    test('put / get / ranges / paginated lists V1 and V2 / copy / delete_objects / presigned URL', { timeout: 60_000 }, async () => {
      const facts = await python(p.python, p.prefix, 'basics');
      const listed = await endpoint.store.listObjects(facts.bucket);
      assert.deepEqual(listed.contents.map((o) => o.key), facts.keys);
      assert.equal(listed.contents.length, 7); // hello, copy, many/20..24
    });

    test('versions: versioned puts, get by VersionId, delete markers, ListObjectVersions', { timeout: 60_000 }, async () => {
      const facts = await python(p.python, p.prefix, 'versions');
      const versions = await endpoint.store.listObjectVersions(facts.bucket);
      assert.deepEqual(
        versions.versions.map((v) => [v.versionId, v.deleteMarker, v.isLatest]),
        [[facts.marker, true, true], [facts.versions[0], false, false], [facts.versions[1], false, false]],
      );
    });

    test('multipart: upload_file / download_file with a 5 MB threshold; low-level parts, order, abort', { timeout: 120_000 }, async () => {
      const facts = await python(p.python, p.prefix, 'multipart');
      const info = await endpoint.store.headObject(facts.bucket, 'big.bin');
      assert.equal(info.size, facts.size);
      assert.equal(info.partsCount, 3);
      assert.deepEqual((await endpoint.store.listMultipartUploads(facts.bucket)).uploads, []);
    });

    test('checksums: SHA256 and CRC32 verified, stored and returned; wrong ones are BadDigest', { timeout: 60_000 }, async () => {
      const facts = await python(p.python, p.prefix, 'checksums');
      const info = await endpoint.store.headObject(facts.bucket, 'sha.txt');
      assert.equal(info.checksums.SHA256, facts.sha256);
      assert.deepEqual((await endpoint.store.listObjects(facts.bucket)).contents.map((o) => o.key), ['crc.txt', 'sha.txt']);
    });

    test('errors arrive as ClientError codes; nothing is written by a refused request', { timeout: 60_000 }, async () => {
      const facts = await python(p.python, p.prefix, 'errors');
      assert.deepEqual((await endpoint.store.listObjects(facts.bucket)).contents.map((o) => o.key), ['keep.txt']);
    });
  });
}
