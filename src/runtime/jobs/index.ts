/** The job queue port. Adapters are imported by their own path (`runtime/jobs/sqlite`), not from here. */
export type * from './port.js';
export { JOB_STATES, SETTLED_STATES } from './port.js';
export { compileJobQueueOptions, retryDelayMs, DEFAULT_MAX_ATTEMPTS, type JobQueueOptions, type CompiledJobQueueOptions } from './options.js';
export { newOwnerId } from './owner.js';
