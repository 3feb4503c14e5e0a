/**
 * Acquisition rounds: which files a round contains, which of them carry defects, and the manifest that tells tests
 * and the demo what must be rejected. Everything here is pure; write.ts puts the result on disk.
 */
import { createHash } from 'node:crypto';
import type { Defect, DefectKind } from './defects.js';
import { DEFECT_KINDS, MIN_ROWS_FOR_DEFECTS, mergeEffects, planDefect } from './defects.js';
import { createRng, hashSeed } from './prng.js';
import type { Rng } from './prng.js';
import { CONTRIBUTORS, driverName, findContributor } from './profiles.js';
import { renderCsv } from './render.js';
import { SAMPLE_MS, drawDriverTraits, simulateSession } from './signals.js';

/** 4,000 rows at 10 Hz = 6 min 40 s, about 200 KB. */
export const DEFAULT_ROWS = 4000;
export const DEFAULT_SESSIONS_PER_DRIVER = 2;
/** Measured mean length of a data row (bytes with its newline), for sizing files. */
export const MEAN_ROW_BYTES = 50;
/** Round 1 starts on Monday 2026-01-05; each round is a two-week acquisition campaign. */
const FIRST_ROUND_MS = Date.UTC(2026, 0, 5);
const ROUND_SPAN_MS = 14 * 24 * 3600 * 1000;

export interface DefectRequest {
  kind: DefectKind;
  /** The file to damage; omitted, the generator picks one (deterministically) that has no defect yet. */
  key?: string;
}

export interface RoundOptions {
  seed: number;
  /** 1, 2, 3 ...: each round is a new set of sessions (keys never repeat across rounds). Default 1. */
  round?: number;
  sessionsPerDriver?: number;
  /** Rows per session; default 4,000 (~200 KB). See rowsForBytes(). */
  rows?: number;
  /** Overrides each contributor's own driver count. */
  driversPerContributor?: number;
  /** A subset of the contributors, in the given order. Default all three. */
  contributors?: string[];
  /** 'default': one file per defect kind (four per round); 'none'; or an explicit list. */
  defects?: 'none' | 'default' | DefectRequest[];
}

export interface GeneratedFile {
  /** The relative path, which becomes the S3 key: recordings/<contributor>/<driver>/<session>.csv */
  key: string;
  contributor: string;
  driver: string;
  session: string;
  /** Complete data rows in the file (a truncated file's half row is not counted). */
  rows: number;
  bytes: number;
  sha256: string;
  defects: Defect[];
  content: string;
}

export type ManifestEntry = Omit<GeneratedFile, 'content'>;

export interface Manifest {
  generator: 'karli-recordings/1';
  seed: number;
  round: number;
  files: ManifestEntry[];
}

export interface SessionSpec {
  seed: number;
  round?: number;
  contributor: string;
  driver: string;
  session: string;
  rows?: number;
  /** Start of the recording (ms since the epoch, whole seconds); default derived from the seed. */
  startMs?: number;
  defects?: DefectKind[];
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

function integerOption(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`option ${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nameOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new RangeError(`option ${name} must be a name of letters, digits, '.', '_' or '-', got ${JSON.stringify(value)}`);
  }
  return value;
}

export function recordingKey(contributor: string, driver: string, session: string): string {
  return `recordings/${contributor}/${driver}/${session}.csv`;
}

/** Rows for a file of about `bytes` bytes (within a few percent). */
export function rowsForBytes(bytes: number): number {
  return Math.max(1, Math.round((bytes - 80) / MEAN_ROW_BYTES));
}

/** One recording. Its bytes depend only on (seed, round, contributor, driver, session, rows, startMs, defects). */
export function buildSession(spec: SessionSpec): GeneratedFile {
  const seed = integerOption('seed', spec.seed, -(2 ** 53 - 1), 2 ** 53 - 1);
  const round = integerOption('round', spec.round ?? 1, 1, 10_000);
  const rows = integerOption('rows', spec.rows ?? DEFAULT_ROWS, 1, 10_000_000);
  const profile = findContributor(spec.contributor);
  const driver = nameOption('driver', spec.driver);
  const session = nameOption('session', spec.session);
  const key = recordingKey(profile.name, driver, session);
  const kinds = spec.defects ?? [];
  if (kinds.length > 0 && rows < MIN_ROWS_FOR_DEFECTS) {
    throw new RangeError(`${key}: a file with defects needs at least ${MIN_ROWS_FOR_DEFECTS} rows, got ${rows}`);
  }
  if (new Set(kinds).size !== kinds.length) throw new RangeError(`${key}: the same defect kind is asked for twice`);
  if (kinds.includes('truncated') && kinds.length > 1) {
    throw new RangeError(`${key}: 'truncated' cannot be combined with other defects (the cut could remove them)`);
  }

  const rng = createRng(hashSeed(seed, round, key));
  const startMs = spec.startMs ?? FIRST_ROUND_MS + (round - 1) * ROUND_SPAN_MS + 1000 * rng.int(0, 13 * 24 * 3600);
  if (!Number.isInteger(startMs / 1000)) throw new RangeError(`option startMs must be whole seconds, got ${startMs}`);
  // Traits come from (seed, driver) alone, so the same person keeps the same resting heart rate in every round.
  const traits = drawDriverTraits(createRng(hashSeed(seed, 'driver', profile.name, driver)));
  const signals = simulateSession(rng, profile, traits, rows);

  const planned = kinds.map((kind) => ({ kind, ...planDefect(kind, createRng(hashSeed(seed, round, key, kind)), signals, startMs) }));
  const { text, rows: written } = renderCsv(signals, startMs, mergeEffects(planned.map((p) => p.effects)));
  return {
    key,
    contributor: profile.name,
    driver,
    session,
    rows: written,
    bytes: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
    defects: planned.map(({ kind, detail }) => ({ kind, detail })),
    content: text,
  };
}

interface Slot {
  contributor: string;
  driver: string;
  session: string;
  key: string;
  startMs: number;
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Which defect kinds each key gets. Default: the four kinds on four different files, spread by the seed. */
function planDefects(slots: Slot[], request: RoundOptions['defects'], rng: Rng): Map<string, DefectKind[]> {
  const plan = new Map<string, DefectKind[]>();
  if (request === undefined || request === 'none') return plan;
  const requests: DefectRequest[] = request === 'default' ? DEFECT_KINDS.map((kind) => ({ kind })) : request;
  if (!Array.isArray(requests)) throw new RangeError(`option defects must be 'none', 'default' or a list, got ${JSON.stringify(request)}`);
  const order = shuffled(slots.map((s) => s.key), rng);
  const known = new Set(order);
  for (const [index, r] of requests.entries()) {
    if (typeof r !== 'object' || r === null || !(DEFECT_KINDS as readonly string[]).includes(r.kind)) {
      throw new RangeError(`option defects[${index}].kind must be one of ${DEFECT_KINDS.join(', ')}, got ${JSON.stringify(r?.kind)}`);
    }
    let key = r.key;
    if (key !== undefined && !known.has(key)) throw new RangeError(`option defects[${index}].key: no file ${key} in this round`);
    key ??= order.find((k) => !plan.has(k));
    if (key === undefined) {
      if (request === 'default') break; // fewer files than kinds: as many as fit
      throw new RangeError(`option defects[${index}]: every file already has a defect; name a key to add a second one`);
    }
    plan.set(key, [...(plan.get(key) ?? []), r.kind]);
  }
  return plan;
}

function roundSlots(seed: number, round: number, options: RoundOptions): Slot[] {
  const sessions = integerOption('sessionsPerDriver', options.sessionsPerDriver ?? DEFAULT_SESSIONS_PER_DRIVER, 1, 999);
  const rows = integerOption('rows', options.rows ?? DEFAULT_ROWS, 1, 10_000_000);
  const drivers =
    options.driversPerContributor === undefined ? undefined : integerOption('driversPerContributor', options.driversPerContributor, 1, 99);
  const names = options.contributors ?? CONTRIBUTORS.map((c) => c.name);
  if (!Array.isArray(names) || names.length === 0) throw new RangeError('option contributors must be a non-empty list');
  const width = sessions > 99 ? 3 : 2;
  // Sessions of one driver get disjoint slots of the round's two weeks, so they never overlap in time.
  const slotMs = Math.floor(ROUND_SPAN_MS / sessions / 1000) * 1000;
  const durationMs = rows * SAMPLE_MS;
  const slots: Slot[] = [];
  for (const name of names) {
    const profile = findContributor(name);
    for (let d = 0; d < (drivers ?? profile.drivers); d++) {
      const driver = driverName(d);
      for (let s = 0; s < sessions; s++) {
        const session = `r${round}-s${String(s + 1).padStart(width, '0')}`;
        const key = recordingKey(profile.name, driver, session);
        const rng = createRng(hashSeed(seed, round, key, 'start'));
        const freeSeconds = Math.max(0, Math.floor((slotMs - durationMs) / 1000));
        const startMs = FIRST_ROUND_MS + (round - 1) * ROUND_SPAN_MS + s * slotMs + 1000 * rng.int(0, freeSeconds);
        slots.push({ contributor: profile.name, driver, session, key, startMs });
      }
    }
  }
  return slots;
}

/** A whole acquisition round, in memory. Same options → byte-identical files and manifest. */
export function buildRound(options: RoundOptions): { files: GeneratedFile[]; manifest: Manifest } {
  if (typeof options !== 'object' || options === null) throw new TypeError('buildRound needs an options object');
  const seed = integerOption('seed', options.seed, -(2 ** 53 - 1), 2 ** 53 - 1);
  const round = integerOption('round', options.round ?? 1, 1, 10_000);
  const slots = roundSlots(seed, round, options);
  const plan = planDefects(slots, options.defects ?? 'default', createRng(hashSeed(seed, round, 'defects')));
  const files = slots.map((slot) =>
    buildSession({ ...slot, seed, round, rows: options.rows ?? DEFAULT_ROWS, defects: plan.get(slot.key) ?? [] }),
  );
  return { files, manifest: manifestOf(seed, round, files) };
}

export function manifestOf(seed: number, round: number, files: GeneratedFile[]): Manifest {
  return { generator: 'karli-recordings/1', seed, round, files: files.map(({ content: _content, ...entry }) => entry) };
}

export interface TinyFilesOptions {
  seed: number;
  count: number;
  /** Default 60 rows (6 s), about 3 KB. */
  rows?: number;
  /** Index of the first file, to build a large set in chunks. Default 0. */
  first?: number;
}

/**
 * Many small clean recordings for benchmarks (e.g. 10,000 files of ~3 KB): keys
 * recordings/<contributor>/d01..d20/t00001.csv, contributors in turn, one after another in time.
 */
export function buildTinyFiles(options: TinyFilesOptions): GeneratedFile[] {
  const seed = integerOption('seed', options.seed, -(2 ** 53 - 1), 2 ** 53 - 1);
  const count = integerOption('count', options.count, 0, 10_000_000);
  const rows = integerOption('rows', options.rows ?? 60, 1, 1_000_000);
  const first = integerOption('first', options.first ?? 0, 0, 10_000_000);
  const files: GeneratedFile[] = [];
  for (let i = first; i < first + count; i++) {
    const contributor = CONTRIBUTORS[i % CONTRIBUTORS.length]!.name;
    const driver = driverName(Math.floor(i / CONTRIBUTORS.length) % 20);
    const session = `t${String(i + 1).padStart(5, '0')}`;
    files.push(buildSession({ seed, round: 1, contributor, driver, session, rows, startMs: FIRST_ROUND_MS + i * Math.ceil((rows * SAMPLE_MS) / 1000) * 1000 }));
  }
  return files;
}
