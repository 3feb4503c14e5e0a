import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from './node-flags.js';

test('the reflow command runs node with the server flags (the shebang carries them)', () => {
  // Compiled to dist/src/cli/; tsc keeps the shebang.
  const main = readFileSync(fileURLToPath(new URL('./main.js', import.meta.url)), 'utf8');
  assert.equal(main.split('\n')[0], `#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`);
});

test('npm start runs the example server with the same flags', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
  assert.match(pkg.scripts.start, new RegExp(`node ${SERVER_NODE_FLAGS.join(' ')} dist/examples/karli/start\\.js`));
});
