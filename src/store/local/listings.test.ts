/**
 * The local store's paging against a naive model of S3's listings, on random keys (multi-byte characters, the
 * delimiter inside and at the ends of keys), random version histories and delete markers, with tiny query batches
 * so every batch boundary (a key's versions cut in two, a prefix jump at a batch's end) is crossed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonPrefixOf } from '../listing.js';
import type * as T from '../types.js';
import { byteCompare, pageObjects, pageVersions, pageUploads, type Bound, type ListSource, type ListedRow } from './listings.js';

/** A tiny deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', '/', '\u00e9', '\u{1f600}', '\uffee'];

function randomRows(next: () => number): ListedRow[] {
  const keys = new Set<string>();
  const count = 1 + Math.floor(next() * 25);
  while (keys.size < count) {
    let k = '';
    const len = 1 + Math.floor(next() * 4);
    for (let i = 0; i < len; i++) k += ALPHABET[Math.floor(next() * ALPHABET.length)];
    keys.add(k);
  }
  const rows: ListedRow[] = [];
  let vid = 0;
  for (const key of keys) {
    const versions = 1 + Math.floor(next() * 4);
    const mine: ListedRow[] = [];
    for (let i = 0; i < versions; i++) {
      const marker = next() < 0.25;
      mine.push({ vid: ++vid, key, version_id: `v${vid}`, is_latest: 0, delete_marker: marker ? 1 : 0, size: marker ? 0 : vid, etag: marker ? '' : `e${vid}`, sha256: '', modified_ms: vid });
    }
    mine[mine.length - 1]!.is_latest = 1;
    rows.push(...mine);
  }
  // Interleave vids across keys as real histories do.
  return rows;
}

/** What SQLite answers, in memory: TEXT compared as UTF-8 bytes. */
function sourceOver(rows: ListedRow[]): ListSource {
  const inRange = (r: ListedRow, bound: Bound, upper: string | undefined) => {
    const c = byteCompare(r.key, bound.key);
    return (bound.inclusive ? c >= 0 : c > 0) && (upper === undefined || byteCompare(r.key, upper) < 0);
  };
  const ordered = [...rows].sort((a, b) => byteCompare(a.key, b.key) || b.vid - a.vid);
  return {
    latest: (bound, upper, limit) => ordered.filter((r) => r.is_latest && inRange(r, bound, upper)).slice(0, limit),
    versions: (bound, upper, limit) => ordered.filter((r) => inRange(r, bound, upper)).slice(0, limit),
    older: (key, vid, limit) => ordered.filter((r) => r.key === key && r.vid < vid).slice(0, limit),
    vidOf: (key, versionId) => rows.find((r) => r.key === key && r.version_id === versionId)?.vid,
  };
}

/** The naive model: every entry of the whole listing, in S3's order, folded by the delimiter. */
function model(rows: ListedRow[], prefix: string, delimiter: string | undefined, latestOnly: boolean): string[] {
  const ordered = [...rows].filter((r) => r.key.startsWith(prefix)).sort((a, b) => byteCompare(a.key, b.key) || b.vid - a.vid);
  const out: string[] = [];
  for (const r of ordered) {
    if (latestOnly && (!r.is_latest || r.delete_marker)) continue;
    const cp = commonPrefixOf(r.key, prefix, delimiter);
    const name = cp !== undefined ? `P:${cp}` : latestOnly ? `K:${r.key}` : `V:${r.key}@${r.version_id}`;
    if (out.at(-1) !== name && !(cp !== undefined && out.includes(name))) out.push(name);
  }
  return out;
}

const mergeOrder = (names: string[]) => names.sort((a, b) => byteCompare(a.slice(2), b.slice(2)));

test('listings: ListObjectsV2 pages equal the model for any page size and query batch', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const next = rng(seed);
    const rows = randomRows(next);
    const source = sourceOver(rows);
    for (const [prefix, delimiter] of [['', undefined], ['', '/'], ['a', '/'], ['/', undefined], ['\u00e9', 'b']] as const) {
      const want = model(rows, prefix, delimiter, true);
      for (const [maxKeys, batch] of [[1, 1], [2, 3], [3, 1], [1000, 2], [1000, 1000]] as const) {
        const got: string[] = [];
        let token: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages <= want.length + 1, `seed ${seed}: too many pages`);
          const options: T.ListObjectsOptions = { maxKeys, prefix };
          if (delimiter) options.delimiter = delimiter;
          if (token) options.continuationToken = token;
          const page = pageObjects(source, options, batch);
          assert.ok(page.keyCount <= maxKeys);
          got.push(...mergeOrder([...page.contents.map((c) => `K:${c.key}`), ...page.commonPrefixes.map((p) => `P:${p}`)]));
          if (!page.isTruncated) break;
          token = page.nextContinuationToken;
        }
        assert.deepEqual(got, want, `seed ${seed} prefix ${JSON.stringify(prefix)} delimiter ${delimiter} maxKeys ${maxKeys} batch ${batch}`);
      }
    }
  }
});

test('listings: ListObjectVersions pages equal the model, resuming from key and version-id markers', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const next = rng(seed);
    const rows = randomRows(next);
    const source = sourceOver(rows);
    for (const [prefix, delimiter] of [['', undefined], ['', '/'], ['b', '/'], ['\u{1f600}', undefined]] as const) {
      const want = model(rows, prefix, delimiter, false);
      for (const [maxKeys, batch] of [[1, 1], [2, 1], [3, 2], [1000, 1], [1000, 1000]] as const) {
        const got: string[] = [];
        let keyMarker: string | undefined;
        let versionIdMarker: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages <= want.length + 1, `seed ${seed}: too many pages`);
          const options: T.ListObjectVersionsOptions = { maxKeys, prefix };
          if (delimiter) options.delimiter = delimiter;
          if (keyMarker !== undefined) options.keyMarker = keyMarker;
          if (versionIdMarker !== undefined) options.versionIdMarker = versionIdMarker;
          const page = pageVersions(source, options, batch);
          assert.ok(page.versions.length + page.commonPrefixes.length <= maxKeys);
          const names = [...page.versions.map((v) => `V:${v.key}@${v.versionId}`), ...page.commonPrefixes.map((p) => `P:${p}`)];
          // Versions of one key stay newest first; order only across keys and prefixes.
          names.sort((a, b) => byteCompare(a.slice(2).split('@')[0]!, b.slice(2).split('@')[0]!));
          got.push(...names);
          if (!page.isTruncated) break;
          keyMarker = page.nextKeyMarker;
          versionIdMarker = page.nextVersionIdMarker;
        }
        assert.deepEqual(got, want, `seed ${seed} prefix ${JSON.stringify(prefix)} delimiter ${delimiter} maxKeys ${maxKeys} batch ${batch}`);
      }
    }
  }
});

test('listings: bad paging input gets InvalidArgument naming the field', () => {
  const source = sourceOver([]);
  assert.throws(() => pageObjects(source, { continuationToken: '%%%' }), { code: 'InvalidArgument', field: 'ContinuationToken' });
  assert.throws(() => pageObjects(source, { maxKeys: 1.5 }), { code: 'InvalidArgument', field: 'MaxKeys' });
  assert.throws(() => pageVersions(source, { versionIdMarker: 'v1' }), { code: 'InvalidArgument', field: 'VersionIdMarker' });
  assert.throws(() => pageVersions(source, { keyMarker: 'k', versionIdMarker: 'v1' }), { code: 'InvalidArgument', field: 'VersionIdMarker' });
  assert.throws(() => pageUploads([], { maxUploads: -1 }), { code: 'InvalidArgument', field: 'MaxUploads' });
});
