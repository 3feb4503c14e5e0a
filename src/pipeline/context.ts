/**
 * What every stage handler is given: the ports, the emitter, the staging area, and the project as last applied.
 * The project is read through `dataset()` at each event, so `reflow apply` takes effect for the next event without
 * re-registering anything.
 */
import pLimit from 'p-limit';
import type { Catalog } from '../catalog/port.js';
import type { ObjectStore } from '../store/port.js';
import { ReflowError } from '../errors.js';
import type { CompiledDataset, CompiledProject } from './definition/compile.js';
import type { PipelineEmitter } from './events.js';
import type { StagingArea } from './staging.js';

export interface StageLogger {
  (message: string): void;
}

/**
 * Quality checks of new versions running at once. The stages take many events at once, but a check streams its
 * file through this process's one thread, holding up to ~48 MB of sketches (and the duplicates digests) while it
 * runs: more at once buys no speed and multiplies the memory. Re-announcing a stored verdict takes no slot.
 */
const CHECKS_AT_ONCE = 2;

export class StageContext {
  project: CompiledProject | undefined;
  readonly checkSlots = pLimit(CHECKS_AT_ONCE);

  constructor(
    readonly catalog: Catalog,
    readonly store: ObjectStore,
    readonly emitter: PipelineEmitter,
    readonly staging: StagingArea,
    readonly log: StageLogger,
  ) {}

  /** The dataset as applied now; an event for a dataset the project dropped is refused (it dead-letters). */
  dataset(name: string): CompiledDataset {
    const dataset = this.project?.datasets.find((d) => d.name === name);
    if (!dataset) throw new ReflowError('NotFound', `dataset ${name} is not in the applied project`, { field: 'detail.dataset' });
    return dataset;
  }
}
