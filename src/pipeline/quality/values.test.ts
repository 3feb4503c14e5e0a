import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantiles, histogram, ColumnStats, inferType } from './columns.js';
import { DigestSet, HyperLogLog, Prng, Reservoir, RowHasher, hashNumber, hashString } from './sketches.js';
import { BOOLEAN, INTEGER, MISSING, NUMBER, STRING, TIMESTAMP, classifyText, classifyTyped, daysFromCivil, newCell, parseIsoTimestamp } from './values.js';

test('ISO 8601 timestamps parse like Date.parse for zoned forms, as UTC without a zone, and never by the machine zone', () => {
  const rng = new Prng(7);
  for (let i = 0; i < 2000; i++) {
    const t = Math.floor((rng.next() - 0.3) * 6e12); // 1779 .. 2160, both sides of 1970
    const iso = new Date(t).toISOString();
    assert.equal(parseIsoTimestamp(iso), t, iso);
    assert.equal(parseIsoTimestamp(iso.replace('T', ' ')), t);
  }
  assert.equal(parseIsoTimestamp('2026-05-04T08:00:00Z'), Date.parse('2026-05-04T08:00:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04T08:00:00'), Date.parse('2026-05-04T08:00:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04T08:00'), Date.parse('2026-05-04T08:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04'), Date.parse('2026-05-04'));
  assert.equal(parseIsoTimestamp('2026-05-04T10:30:00+02:00'), Date.parse('2026-05-04T08:30:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04T10:30:00+0200'), Date.parse('2026-05-04T08:30:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04T06:30:00-02'), Date.parse('2026-05-04T08:30:00Z'));
  assert.equal(parseIsoTimestamp('2026-05-04T08:00:00.1234Z'), Date.parse('2026-05-04T08:00:00.000Z') + 123.4);
  assert.equal(parseIsoTimestamp('2026-05-04T08:00:00,5Z'), Date.parse('2026-05-04T08:00:00.500Z'));
  assert.equal(parseIsoTimestamp('2024-02-29'), Date.parse('2024-02-29'));
  assert.equal(parseIsoTimestamp('0099-01-01'), Date.parse('0099-01-01'));
  for (const bad of ['2023-02-29', '2026-13-01', '2026-04-31', '2026-05-04T24:00', '2026-05-04T08:60', '2026-05-04T08:00:00.Z', '2026-05-04X08:00', '2026-05-04T08:00:00+25:00', '2026-05-04T08:00:00Zjunk', '2026-5-4', 'May 4 2026', '', '2026-05-04T8:00']) {
    assert.ok(Number.isNaN(parseIsoTimestamp(bad)), bad);
  }
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(2000, 3, 1), 11017);
});

test('CSV cells are classified once: numbers, integers, booleans, timestamps, text, missing', () => {
  const cell = newCell();
  const kind = (s: string, missing: Set<string> | null = null) => {
    classifyText(s, cell, missing);
    return cell.kind;
  };
  assert.equal(kind('42'), INTEGER);
  assert.equal(cell.num, 42);
  assert.equal(kind('-0'), INTEGER);
  assert.ok(Object.is(cell.num, 0));
  assert.equal(kind('1.0'), INTEGER);
  assert.equal(kind('3.25'), NUMBER);
  assert.equal(kind('-.5'), NUMBER);
  assert.equal(kind('1e3'), INTEGER);
  assert.equal(kind(' 7 '), INTEGER);
  assert.equal(kind('1714550400000'), INTEGER);
  assert.equal(kind('TRUE'), BOOLEAN);
  assert.equal(cell.num, 1);
  assert.equal(kind('false'), BOOLEAN);
  assert.equal(kind('2026-05-04T08:00:00.100Z'), TIMESTAMP);
  assert.equal(cell.num, Date.parse('2026-05-04T08:00:00.100Z'));
  for (const text of ['0x1f', '0b101', '0o17', 'Infinity', '-Infinity', 'NaN', '1,5', '12 km', '-', '+', '.', '2026-13-01', 'n/a']) {
    assert.equal(kind(text), STRING, text);
  }
  assert.equal(kind(''), MISSING);
  assert.equal(kind('   '), MISSING);
  assert.equal(kind('NA'), STRING);
  assert.equal(kind('NA', new Set(['NA'])), MISSING);
  assert.equal(kind(' NA ', new Set(['NA'])), MISSING);
});

test('typed values (NDJSON, Parquet) keep their JSON types', () => {
  const cell = newCell();
  const kind = (v: unknown) => {
    classifyTyped(v, cell);
    return cell.kind;
  };
  assert.equal(kind(3), INTEGER);
  assert.equal(kind(3.5), NUMBER);
  assert.equal(kind(12n), INTEGER);
  assert.equal(cell.num, 12);
  assert.equal(kind(true), BOOLEAN);
  assert.equal(kind('12'), STRING, 'a JSON string is text even when it looks like a number');
  assert.equal(kind('2026-05-04T08:00:00Z'), TIMESTAMP);
  assert.equal(kind(new Date(5)), TIMESTAMP);
  assert.equal(cell.num, 5);
  assert.equal(kind({ a: 1 }), STRING);
  assert.equal(cell.text, '{"a":1}');
  assert.equal(kind(Infinity), STRING);
  for (const v of [null, undefined, NaN, '']) assert.equal(kind(v), MISSING);
  assert.equal(inferType(INTEGER | NUMBER), 'number');
  assert.equal(inferType(INTEGER | STRING), 'string');
  assert.equal(inferType(0), 'empty');
});

test('quantiles by selection equal the sorted ones (type 7) for every size, with ties and outliers', () => {
  const rng = new Prng(3);
  for (const n of [1, 2, 3, 4, 5, 10, 19, 20, 21, 100, 999, 10_000]) {
    for (const kind of ['uniform', 'ties', 'sorted', 'reversed']) {
      const xs = Float64Array.from({ length: n }, (_, i) =>
        kind === 'ties' ? Math.floor(rng.next() * 3) : kind === 'sorted' ? i : kind === 'reversed' ? n - i : rng.next() * 1e6 - 5e5,
      );
      const sorted = xs.slice().sort();
      const exact = (q: number) => {
        const pos = (n - 1) * q;
        const lo = Math.floor(pos);
        const hi = Math.ceil(pos);
        return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
      };
      const got = quantiles(xs.slice());
      assert.equal(got.median, exact(0.5), `median n=${n} ${kind}`);
      assert.equal(got.p05, exact(0.05), `p05 n=${n} ${kind}`);
      assert.equal(got.p95, exact(0.95), `p95 n=${n} ${kind}`);
    }
  }
});

test('the histogram has 20 bins from min to max and its counts sum to the column count, sampled or not', () => {
  const xs = Float64Array.from({ length: 1000 }, (_, i) => i);
  const h = histogram(xs, 0, 999, 1000);
  assert.equal(h.edges.length, 21);
  assert.equal(h.edges[0], 0);
  assert.equal(h.edges[20], 999);
  assert.deepEqual(h.counts, new Array(20).fill(50));
  const scaled = histogram(xs, 0, 999, 123_457);
  assert.equal(scaled.counts.reduce((a, b) => a + b, 0), 123_457);
  assert.deepEqual(histogram(Float64Array.of(5, 5), 5, 5, 2), { edges: [5, 5], counts: [2] });
});

test('column metrics: counts, missing runs, mean and stddev, exact quantiles up to the sample size', () => {
  const cell = newCell();
  const stats = new ColumnStats('x', 0);
  const texts = ['1', '', '', '3', '', '5', '7', '', '', '', '9'];
  texts.forEach((t, i) => {
    classifyText(t, cell, null);
    stats.add(i + 1, cell);
  });
  const m = stats.metrics(texts.length);
  assert.equal(m.type, 'integer');
  assert.equal(m.count, 5);
  assert.equal(m.missing, 6);
  assert.equal(m.missingRatio, 6 / 11);
  assert.equal(m.longestMissingRun, 3);
  assert.equal(m.longestMissingRunStart, 8);
  assert.equal(m.distinct, 5);
  assert.equal(m.min, 1);
  assert.equal(m.max, 9);
  assert.equal(m.mean, 5);
  assert.ok(Math.abs(m.stddev! - Math.sqrt(10)) < 1e-12);
  assert.equal(m.median, 5);
  assert.equal(m.histogram!.counts.reduce((a, b) => a + b, 0), 5);
  // Far from zero (epoch ms), the shifted sums keep the variance exact.
  const ts = new ColumnStats('t', 1);
  for (let i = 0; i < 1000; i++) {
    cell.kind = INTEGER;
    cell.num = 1.7e12 + i * 100;
    ts.add(i + 1, cell);
  }
  const tm = ts.metrics(1000);
  assert.ok(Math.abs(tm.stddev! - 28_881.943) < 0.01, String(tm.stddev));
  assert.equal(tm.mean, 1.7e12 + 49_950);
});

test('a column first seen at a later row (NDJSON) counts the rows before it as missing', () => {
  const stats = new ColumnStats('late', 3, 51);
  const cell = newCell();
  classifyText('1', cell, null);
  stats.add(51, cell);
  const m = stats.metrics(51);
  assert.equal(m.missing, 50);
  assert.equal(m.longestMissingRun, 50);
  assert.equal(m.longestMissingRunStart, 1);
});

test('the reservoir is a deterministic uniform sample', () => {
  const a = new Reservoir(1000, 9);
  const b = new Reservoir(1000, 9);
  for (let i = 0; i < 100_000; i++) {
    a.add(i);
    b.add(i);
  }
  assert.deepEqual(a.copy(), b.copy());
  const sample = a.copy();
  assert.equal(sample.length, 1000);
  const mean = sample.reduce((s, x) => s + x, 0) / sample.length;
  assert.ok(Math.abs(mean - 50_000) < 3_000, `mean ${mean}`);
  const deciles = new Array(10).fill(0);
  for (const x of sample) deciles[Math.floor(x / 10_000)]++;
  for (const d of deciles) assert.ok(d > 60 && d < 140, `deciles ${deciles}`);
  const small = new Reservoir(10, 1);
  [3, 1, 2].forEach((x) => small.add(x));
  assert.deepEqual([...small.copy()], [3, 1, 2]);
});

test('HyperLogLog counts small sets exactly and large ones within a few percent', () => {
  const small = new HyperLogLog();
  for (let i = 0; i < 1000; i++) small.add(hashNumber(i % 7));
  assert.equal(small.estimate(), 7);
  for (const n of [1000, 50_000, 1_000_000]) {
    const h = new HyperLogLog();
    for (let i = 0; i < n; i++) h.add(hashString(`value-${i}`));
    const e = h.estimate();
    assert.ok(Math.abs(e - n) / n < 0.05, `n=${n} estimate ${e}`);
  }
});

test('row digests separate field boundaries, types and order; the digest set finds repeats across growth', () => {
  const h = new RowHasher();
  const digest = (cells: Array<string | number | null>) => {
    h.reset();
    for (const c of cells) {
      if (c === null) h.addMissing();
      else if (typeof c === 'number') h.addNumber(c);
      else h.addString(c);
    }
    return Array.from(h.finish()).join(',');
  };
  const rows: Array<Array<string | number | null>> = [
    ['ab', 'c'], ['a', 'bc'], ['abc'], ['c', 'ab'], ['1'], [1], [null], [''], [], ['ab', 'c', null],
    ['abcd'], ['abcde'], ['abc\u0000'], ['ab\u0000\u0000'], ['漢字'], ['漢字x'], ['a漢'], ['\u6f22'], ['\u226f'],
  ];
  const digests = rows.map(digest);
  assert.equal(new Set(digests).size, rows.length, digests.join('\n'));
  assert.equal(digest(['ab', 'c']), digests[0], 'deterministic');
  // A range digests as its slice does, in either packing.
  for (const text of ['timestamp,12.5', 'München,漢字,x']) {
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        h.reset();
        h.addRange(text, a, b);
        const range = Array.from(h.finish()).join(',');
        assert.equal(range, digest([text.slice(a, b)]), `${a}..${b}`);
      }
    }
  }

  const set = new DigestSet();
  let dupes = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 50_000; i++) {
      h.reset();
      h.addString(`row ${i}`);
      if (!set.add(h.finish())) dupes++;
    }
  }
  assert.equal(set.size, 50_000);
  assert.equal(dupes, 50_000);
  assert.ok(set.bytes <= 50_000 * 32, `${set.bytes} bytes for 50,000 digests`);
});
