import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePattern, PatternMatcher } from './index.js';

const s3Event = {
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: 'raw-data' }, object: { key: 'uploads/site-7/img-1.png', size: 2048 } },
};

function sorted<K>(keys: K[]): K[] {
  return [...keys].sort();
}

test('reports every matching rule once, whatever operators they use', () => {
  const m = new PatternMatcher<string>();
  m.add('exact', { source: ['aws.s3'], detail: { bucket: { name: ['raw-data'] } } });
  m.add('prefix', { detail: { object: { key: [{ prefix: 'uploads/site-7/' }] } } });
  m.add('suffix', { detail: { object: { key: [{ suffix: '.png' }] } } });
  m.add('wildcard', { detail: { object: { key: [{ wildcard: 'uploads/*/img-*.png' }] } } });
  m.add('numeric', { detail: { object: { size: [{ numeric: ['>', 1024, '<=', 4096] }] } } });
  m.add('anything-but', { source: ['aws.s3'], detail: { bucket: { name: [{ 'anything-but': 'other' }] } } });
  m.add('exists', { detail: { object: { etag: [{ exists: false }] } } });
  m.add('or-both', { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['Object Created'] }] });
  m.add('miss', { source: ['aws.s3'], detail: { bucket: { name: ['other'] } } });
  m.add('miss-numeric', { detail: { object: { size: [{ numeric: ['>', 4096] }] } } });
  assert.deepEqual(sorted(m.matches(s3Event)), ['anything-but', 'exact', 'exists', 'numeric', 'or-both', 'prefix', 'suffix', 'wildcard']);
});

test('add replaces a key, delete removes it, has and size follow', () => {
  const m = new PatternMatcher<number>();
  m.add(1, { source: ['aws.s3'] });
  m.add(2, { source: ['aws.ec2'] });
  assert.equal(m.size, 2);
  assert.deepEqual(m.matches(s3Event), [1]);

  m.add(1, { source: ['aws.ec2'] });
  assert.equal(m.size, 2);
  assert.deepEqual(m.matches(s3Event), []);
  assert.deepEqual(sorted(m.matches({ source: 'aws.ec2' })), [1, 2]);

  assert.equal(m.delete(2), true);
  assert.equal(m.delete(2), false);
  assert.equal(m.has(2), false);
  assert.equal(m.has(1), true);
  assert.deepEqual(m.matches({ source: 'aws.ec2' }), [1]);
  m.delete(1);
  assert.equal(m.size, 0);
  assert.deepEqual(m.matches({ source: 'aws.ec2' }), []);
});

test('an invalid pattern throws and leaves the existing rule in place', () => {
  const m = new PatternMatcher<string>();
  m.add('r', { source: ['aws.s3'] });
  assert.throws(() => m.add('r', { source: 'aws.s3' }), { code: 'InvalidEventPattern', field: 'source' });
  assert.throws(() => m.add('r', '{"source": [}'), { code: 'InvalidEventPattern' });
  assert.deepEqual(m.matches(s3Event), ['r']);
});

test('accepts compiled patterns and JSON text, and keys of any type', () => {
  const key = { id: 'object key' };
  const m = new PatternMatcher<object>();
  m.add(key, compilePattern({ source: ['aws.s3'] }));
  assert.deepEqual(m.matches(s3Event), [key]);
  const t = new PatternMatcher<string>();
  t.add('text', '{"detail": {"bucket": {"name": ["raw-data"]}}}');
  assert.deepEqual(t.matches(s3Event), ['text']);
});

test('rules that only need absence are checked on every event', () => {
  const m = new PatternMatcher<string>();
  m.add('no-region', { region: [{ exists: false }] });
  m.add('no-region-or-eu', { region: [{ exists: false }, 'eu-west-1'] });
  assert.deepEqual(sorted(m.matches(s3Event)), ['no-region', 'no-region-or-eu']);
  assert.deepEqual(m.matches({ region: 'eu-west-1' }), ['no-region-or-eu']);
  assert.deepEqual(m.matches({ region: 'us-east-1' }), []);
  m.delete('no-region');
  m.delete('no-region-or-eu');
  assert.deepEqual(m.matches({}), []);
});

test('array consistency holds for rules filed in the shared index', () => {
  const m = new PatternMatcher<string>();
  m.add('same-item', { items: { sku: ['b'], qty: [{ numeric: ['>=', 5] }] } });
  m.add('cross-items', { items: { sku: ['a'], qty: [{ numeric: ['>=', 5] }] } });
  assert.deepEqual(m.matches({ items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 5 }] }), ['same-item']);
});

test('stays correct while rules come and go past the points where anchors are re-chosen', () => {
  const m = new PatternMatcher<number>();
  const tenant = (i: number) => `t-${i % 37}`;
  for (let i = 0; i < 300; i++) m.add(i, { source: ['app'], detail: { tenant: [tenant(i)], n: [{ numeric: ['>', i % 5] }] } });
  for (let i = 0; i < 300; i += 3) m.delete(i);
  const event = { source: 'app', detail: { tenant: 't-4', n: 3 } };
  const expected = [];
  for (let i = 0; i < 300; i++) if (i % 3 !== 0 && tenant(i) === 't-4' && 3 > i % 5) expected.push(i);
  assert.deepEqual(m.matches(event).sort((a, b) => a - b), expected);
  for (let i = 0; i < 300; i++) m.delete(i);
  assert.equal(m.size, 0);
  assert.deepEqual(m.matches(event), []);
});

test('events must be objects', () => {
  const m = new PatternMatcher<string>();
  assert.throws(() => m.matches([] as unknown as object), { code: 'InvalidArgument' });
  assert.throws(() => m.matches(null as unknown as object), { code: 'InvalidArgument' });
});
