/** The `reflow` package entry. */
export { testEventPattern, compilePattern, checkPattern, PatternMatcher } from './events/pattern/index.js';
export type { EventEnvelope, PutEventsRequestEntry } from './events/envelope.js';
export * from './bus/index.js';
export { ReflowError, ERROR_CODES, type ErrorCode } from './errors.js';
export { createReflow, type Reflow, type ReflowConfig } from './compose.js';
