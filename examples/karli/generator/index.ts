/**
 * Seeded generator of in-vehicle driver-monitoring recordings (CSV at 10 Hz) with realistic defects.
 * Pure and deterministic: the same seed and round give byte-identical files and manifest.
 */
export type { Defect, DefectKind } from './defects.js';
export { DEFECT_KINDS, MIN_ROWS_FOR_DEFECTS, isDefectKind } from './defects.js';
export type { ContributorProfile } from './profiles.js';
export { CONTRIBUTORS } from './profiles.js';
export { COLUMNS, HEADER } from './render.js';
export type { DefectRequest, GeneratedFile, Manifest, ManifestEntry, RoundOptions, SessionSpec, TinyFilesOptions } from './round.js';
export {
  DEFAULT_ROWS,
  DEFAULT_SESSIONS_PER_DRIVER,
  MEAN_ROW_BYTES,
  buildRound,
  buildSession,
  buildTinyFiles,
  manifestOf,
  recordingKey,
  rowsForBytes,
} from './round.js';
export { MEDIAN_SPEED_KMH, SAMPLE_MS, median } from './signals.js';
export { generateRound, generateTinyFiles, writeFiles } from './write.js';
