import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformJobRequest, transformVersion, validateTransformDefinition } from './transform.js';
import { codeFiles } from './code-hash.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-transform-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function project(files: Record<string, string>): string {
  const dir = join(root, `p${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const F = 'datasets.drives.transform';
function invalid(def: unknown, field: string, dir: string, message?: RegExp) {
  assert.throws(
    () => validateTransformDefinition(def, F, dir),
    (err: { code?: string; field?: string; message?: string }) => {
      assert.equal(err.code, 'InvalidConfiguration', err.message);
      assert.equal(err.field, field, err.message);
      if (message) assert.match(err.message!, message);
      return true;
    },
  );
}

test('a valid module or command definition compiles to the strict shape', () => {
  const dir = project({ 't.ts': 'export default async () => {}', 'clean.py': 'print(1)' });
  assert.deepEqual(validateTransformDefinition({ module: 't.ts', version: 2 }, F, dir), { version: '2', params: {}, retries: 2, module: 't.ts' });
  assert.deepEqual(validateTransformDefinition({ command: ['python3', 'clean.py'], version: 'v1', params: { k: [1, 'a', null] }, timeout: '5m', retries: 0 }, F, dir), {
    version: 'v1',
    params: { k: [1, 'a', null] },
    retries: 0,
    command: ['python3', 'clean.py'],
    timeoutMs: 300_000,
  });
});

test('invalid definitions are refused naming the field', () => {
  const dir = project({ 't.ts': 'export default async () => {}', 'notes.txt': 'x' });
  invalid(undefined, F, dir);
  invalid({ version: 1 }, F, dir, /needs a module .* or a command/);
  invalid({ module: 't.ts', command: ['sh'], version: 1 }, `${F}.command`, dir, /one or the other/);
  invalid({ module: 't.ts' }, `${F}.version`, dir, /missing/);
  invalid({ module: 't.ts', version: 'has space' }, `${F}.version`, dir);
  invalid({ module: 't.ts', version: -1 }, `${F}.version`, dir);
  invalid({ module: 'missing.ts', version: 1 }, `${F}.module`, dir, /does not exist/);
  invalid({ module: '../outside.ts', version: 1 }, `${F}.module`, dir, /outside the project/);
  invalid({ module: 'notes.txt', version: 1 }, `${F}.module`, dir, /not a \.ts/);
  invalid({ command: [], version: 1 }, `${F}.command`, dir);
  invalid({ command: 'python3 clean.py', version: 1 }, `${F}.command`, dir);
  invalid({ command: ['python3', 7], version: 1 }, `${F}.command[1]`, dir);
  invalid({ module: 't.ts', version: 1, timeout: 0 }, `${F}.timeout`, dir);
  invalid({ module: 't.ts', version: 1, timeout: 'forever' }, `${F}.timeout`, dir);
  invalid({ module: 't.ts', version: 1, timeout: -5 }, `${F}.timeout`, dir);
  invalid({ module: 't.ts', version: 1, retries: -1 }, `${F}.retries`, dir);
  invalid({ module: 't.ts', version: 1, retries: 1.5 }, `${F}.retries`, dir);
  invalid({ module: 't.ts', version: 1, retries: '2' }, `${F}.retries`, dir);
  invalid({ module: 't.ts', version: 1, params: [1] }, `${F}.params`, dir);
  invalid({ module: 't.ts', version: 1, params: { at: new Date() } }, `${F}.params.at`, dir, /JSON values/);
  invalid({ module: 't.ts', version: 1, params: { f: () => 1 } }, `${F}.params.f`, dir);
  invalid({ module: 't.ts', version: 1, params: { n: Number.NaN } }, `${F}.params.n`, dir);
  invalid({ module: 't.ts', version: 1, params: { deep: [{ u: undefined }] } }, `${F}.params.deep[0].u`, dir);
  const cyclic: Record<string, unknown> = {};
  cyclic.me = cyclic;
  invalid({ module: 't.ts', version: 1, params: cyclic }, `${F}.params.me`, dir, /cycle/);
  invalid({ module: 't.ts', version: 1, files: [] }, `${F}.files`, dir);
  invalid({ module: 't.ts', version: 1, files: ['/etc/*'] }, `${F}.files[0]`, dir);
  invalid({ module: 't.ts', version: 1, files: ['../x/*'] }, `${F}.files[0]`, dir);
  invalid({ module: 't.ts', version: 1, files: ['lib/*.ts'] }, `${F}.files[0]`, dir, /matches no file/);
  invalid({ module: 't.ts', version: 1, files: ['[ab.ts'] }, `${F}.files[0]`, dir, /unclosed/);
  invalid({ module: 't.ts', version: 1, name: 'a b' }, `${F}.name`, dir);
  invalid({ module: 't.ts', version: 1, timeOut: 5 }, `${F}.timeOut`, dir, /not a transform setting/);
});

test('the version is the declared version plus a content hash that follows the bytes', () => {
  const dir = project({ 't.ts': 'export default async () => {}' });
  const def = { module: 't.ts', version: 2 };
  const v1 = transformVersion(def, dir);
  assert.match(v1, /^2\+[0-9a-f]{8}$/);
  assert.equal(transformVersion(def, dir), v1, 'stable');
  writeFileSync(join(dir, 't.ts'), 'export default async () => { /* changed */ }');
  const v2 = transformVersion(def, dir);
  assert.notEqual(v2, v1);
  assert.equal(transformVersion({ ...def, version: 3 }, dir), `3+${v2.split('+')[1]}`);
  writeFileSync(join(dir, 't.ts'), 'export default async () => {}');
  assert.equal(transformVersion(def, dir), v1, 'the same bytes give the same hash');
});

test('files globs pick the code that is hashed; the module itself always counts', () => {
  const dir = project({
    'transforms/clean.ts': 'a',
    'transforms/lib/util.ts': 'b',
    'transforms/lib/data.json': 'c',
    'transforms/README.md': 'd',
    'node_modules/dep/index.ts': 'e',
  });
  const def = { module: 'transforms/clean.ts', version: 1, files: ['transforms/**/*.ts', 'transforms/lib/{data,other}.json'] };
  assert.deepEqual(codeFiles(def, dir), ['transforms/clean.ts', 'transforms/lib/data.json', 'transforms/lib/util.ts']);
  assert.deepEqual(codeFiles({ module: 'transforms/clean.ts', files: ['transforms/lib/?til.ts'] }, dir), ['transforms/clean.ts', 'transforms/lib/util.ts']);
  assert.deepEqual(codeFiles({ module: 'transforms/clean.ts', files: ['**/*.ts'] }, dir), ['transforms/clean.ts', 'transforms/lib/util.ts'], 'node_modules is skipped');
  const before = transformVersion(def, dir);
  writeFileSync(join(dir, 'transforms/lib/util.ts'), 'b2');
  assert.notEqual(transformVersion(def, dir), before, 'a helper listed in files changes the version');
  const readme = transformVersion(def, dir);
  writeFileSync(join(dir, 'transforms/README.md'), 'd2');
  assert.equal(transformVersion(def, dir), readme, 'a file outside the globs does not');
  writeFileSync(join(dir, 'transforms/lib/extra.ts'), 'new');
  assert.notEqual(transformVersion(def, dir), readme, 'a new file that matches does');
});

test("a command is versioned by its script files in the project, else by its argv", () => {
  const dir = project({ 'clean.py': 'print(1)', 'run.sh': 'echo' });
  assert.deepEqual(codeFiles({ command: ['python3', 'clean.py', '--fast'] }, dir), ['clean.py']);
  assert.deepEqual(codeFiles({ command: ['./run.sh'] }, dir), ['run.sh']);
  const py = { command: ['python3', 'clean.py'], version: 1 };
  const v = transformVersion(py, dir);
  writeFileSync(join(dir, 'clean.py'), 'print(2)');
  assert.notEqual(transformVersion(py, dir), v);
  const inline = transformVersion({ command: ['sh', '-c', 'echo a > "$REFLOW_OUTPUT_DIR/x"'], version: 1 }, dir);
  assert.notEqual(transformVersion({ command: ['sh', '-c', 'echo b > "$REFLOW_OUTPUT_DIR/x"'], version: 1 }, dir), inline);
});

test('transformJobRequest builds the payload, attempts and timeout from the definition', () => {
  const dir = project({ 't.ts': 'export default async () => {}' });
  const compiled = validateTransformDefinition({ module: 't.ts', version: 1, params: { a: 1, b: 1 }, retries: 4, timeout: '2s' }, 'transform', dir);
  const req = transformJobRequest({ id: 'evt-1:1+abc', projectDir: dir, transform: compiled, inputs: ['/data/in.csv'], params: { b: 2 }, expectedVersion: '1+abc' });
  assert.equal(req.kind, 'transform');
  assert.equal(req.maxAttempts, 5);
  assert.equal(req.timeoutMs, 2000);
  assert.deepEqual(req.payload.params, { a: 1, b: 2 });
  assert.equal(req.payload.expectedVersion, '1+abc');
  assert.equal(transformJobRequest({ id: 'x', projectDir: dir, transform: { module: 't.ts', version: 1 }, inputs: [] }).timeoutMs, undefined, 'no time limit by default');
  assert.throws(() => transformJobRequest({ id: 'x', projectDir: 'relative', transform: compiled, inputs: [] }), { code: 'InvalidArgument', field: 'projectDir' });
  assert.throws(() => transformJobRequest({ id: 'x', projectDir: dir, transform: compiled, inputs: ['in.csv'] }), { code: 'InvalidArgument', field: 'inputs[0]' });
  assert.throws(() => transformJobRequest({ id: 'x', projectDir: dir, transform: compiled, inputs: [], params: { d: new Map() } as never }), { code: 'InvalidArgument', field: 'params.d' });
  assert.throws(() => transformJobRequest({ id: 'x', projectDir: dir, transform: { module: 'nope.ts', version: 1 }, inputs: [], field: 'datasets.d.transform' }), {
    code: 'InvalidConfiguration',
    field: 'datasets.d.transform.module',
  });
});
