/** The catalog port's public surface. Adapters are imported by their own path (`reflow/catalog/sqlite`). */
export type { Catalog } from './port.js';
export * from './types.js';
export { computeKeyState, sequencerOrder, type KeyState, type KeyInputs } from './key-state.js';
