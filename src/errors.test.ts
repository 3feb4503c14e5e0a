import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, ReflowError, wrapError } from './errors.js';

// Fastify's test/internals/errors.test.js: the docs may neither miss a code nor list one the registry lacks.
test('docs/errors.md has exactly one anchor per registered code', () => {
  const docs = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
  const documented = [...docs.matchAll(/^## (\w+)$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, Object.keys(ERROR_CODES).sort());
});

test('a ReflowError carries its code, status, field and cause', () => {
  const cause = new Error('disk full');
  const err = new ReflowError('ValidationException', 'bad', { field: 'Entries', cause });
  assert.equal(err.code, 'ValidationException');
  assert.equal(err.name, 'ValidationException');
  assert.equal(err.httpStatus, 400);
  assert.equal(err.field, 'Entries');
  assert.equal(err.cause, cause);
  const wrapped = wrapError(cause);
  assert.equal(wrapped.code, 'InternalException');
  assert.equal(wrapped.httpStatus, 500);
  assert.equal(wrapped.cause, cause);
  assert.equal(wrapError(err), err);
});
