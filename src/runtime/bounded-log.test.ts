import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedLog } from './bounded-log.js';

test('a bounded log keeps the end and says how much it dropped', () => {
  const log = new BoundedLog(1024);
  assert.equal(log.empty, true);
  for (let i = 0; i < 1000; i++) log.append(`line ${String(i).padStart(4, '0')}\n`);
  const text = log.toString();
  const [header, ...rest] = text.split('\n');
  assert.match(header!, /^\[reflow: \d+ earlier characters dropped; the log keeps the last 1024\]$/);
  assert.equal(rest.join('\n').length, 1024);
  assert.ok(text.endsWith('line 0999\n'));
  assert.equal(Number(/(\d+) earlier/.exec(header!)![1]) + 1024, 1000 * 10);
  const small = new BoundedLog(1024);
  small.append('a');
  small.append('b\n');
  assert.equal(small.toString(), 'ab\n');
});
